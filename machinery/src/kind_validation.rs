//! Per-kind validation of built-in objects, as kube-apiserver v1.33 runs it on create and update
//! (`pkg/apis/<group>/validation` plus the few checks the registry strategies add), over
//! `serde_json::Value`.
//!
//! [`validate`] expects the object *after* defaulting ([`crate::defaults::apply_defaults`], and
//! for a new Job [`crate::defaults::job_selector_defaults`]), so fields kube defaults are assumed
//! present. Object metadata (name, namespace, labels, annotations of the object itself) is
//! validated elsewhere ([`crate::validation::validate_object_meta`]) and not repeated here;
//! metadata *embedded* in an object (a pod template's labels) is validated here, at kube's paths
//! (`spec.template.labels`, which is how kube spells it).
//!
//! Field paths and messages are kube's, including its quirks (an Ingress rule's paths always
//! reported under `spec.rules[0]`, a Node's taints under `metadata.taints`), because they reach
//! users verbatim. Bad values are rendered the way kube's `field.Error` prints them: strings
//! quoted, numbers bare, and Go syntax where kube prints a Go value and the value is simple
//! enough to reproduce (`map[string]string{"app":"web"}`, `v1.LabelSelector{...}`,
//! `intstr.IntOrString{...}`); large structs are printed as compact JSON instead.
//!
//! Nothing here panics, whatever the input: values of the wrong JSON type are treated as absent
//! (kube would have rejected them while decoding, before validation).
//!
//! Knowing deviations from kube:
//! - `field.NotFound` (a volume mount naming no volume) is reported as `Invalid value: "x": not
//!   found`, since [`FieldErrorKind`] has no `NotFound` kind.
//! - A StatefulSet's pod template is validated like any other (kube skips it), with the claim
//!   templates' names counting as volumes.
//! - A CronJob's `timeZone` is checked against IANA's naming rules but not against a time zone
//!   database; a LoadBalancer Service with `externalTrafficPolicy: Local` is not required to have
//!   a `healthCheckNodePort` (Flotilla does not allocate one).
//! - Semantic equality (immutable fields, pod updates) treats every zero value (`null`, `""`,
//!   `0`, `false`, `[]`, `{}`) as unset, which is slightly more lenient than Go's for pointers.
//!
//! Status writes are validated differently by kube (`ValidateXxxStatusUpdate`); call
//! [`validate`] for writes of the main resource.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::quantity::Quantity;
use crate::selector::LabelSelector;
use crate::validation::{
    FieldError, FieldErrorKind, NameRule, go_quote, is_dns1035_label, is_dns1123_label,
    is_dns1123_subdomain, is_qualified_name, is_valid_label_value, is_valid_path_segment_name,
    render_value, validate_annotations, validate_label_selector, validate_labels,
};

type Obj = Map<String, Value>;
type Errs = Vec<FieldError>;

static NULL: Value = Value::Null;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Validates `obj`, an object of `kind` in API `group` (`""` or `"core"` for the core group),
/// as kube-apiserver v1.33 does on create (`old` is `None`) or update (`old` is the stored
/// object). Returns every problem found; an empty list means valid. Unknown kinds, and values
/// that are not JSON objects, give no errors.
///
/// `group` is the API group the request came through. Both Event APIs are covered: core/v1
/// Events (`""`) get kube's legacy rules, `events.k8s.io` Events additionally the strict ones,
/// and `obj` may be in either API's field names (`regarding`/`involvedObject`,
/// `note`/`message`, ...), since the server stores events.k8s.io Events in core/v1 form.
pub fn validate(group: &str, kind: &str, obj: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let group = if group == "core" { "" } else { group };
    let mut e = Vec::new();
    if !obj.is_object() {
        return e;
    }
    let old = old.filter(|o| o.is_object());
    match (group, kind) {
        ("", "Pod") => pod(obj, old, &mut e),
        ("", "PodTemplate") => pod_template_kind(obj, &mut e),
        ("", "ReplicationController") => replication_controller(obj, &mut e),
        ("", "Service") => service(obj, old, &mut e),
        ("", "ConfigMap") => config_map(obj, old, &mut e),
        ("", "Secret") => secret(obj, old, &mut e),
        ("", "Namespace") => namespace(obj, &mut e),
        ("", "Node") => node(obj, old, &mut e),
        ("", "PersistentVolumeClaim") => pvc(obj, old, &mut e),
        ("", "ResourceQuota") => resource_quota(obj, old, &mut e),
        ("", "LimitRange") => limit_range(obj, &mut e),
        ("", "Event") => event(obj, old, false, &mut e),
        ("events.k8s.io", "Event") => event(obj, old, true, &mut e),
        ("apps", "Deployment") => deployment(obj, old, &mut e),
        ("apps", "ReplicaSet") => replica_set(obj, old, &mut e),
        ("apps", "StatefulSet") => stateful_set(obj, old, &mut e),
        ("apps", "DaemonSet") => daemon_set(obj, old, &mut e),
        ("batch", "Job") => job(obj, old, &mut e),
        ("batch", "CronJob") => cron_job(obj, old, &mut e),
        ("networking.k8s.io", "Ingress") => ingress(obj, old, &mut e),
        ("networking.k8s.io", "NetworkPolicy") => network_policy(obj, &mut e),
        (RBAC_GROUP, "Role") => role(obj, true, &mut e),
        (RBAC_GROUP, "ClusterRole") => role(obj, false, &mut e),
        (RBAC_GROUP, "RoleBinding") => role_binding(obj, old, true, &mut e),
        (RBAC_GROUP, "ClusterRoleBinding") => role_binding(obj, old, false, &mut e),
        ("autoscaling", "HorizontalPodAutoscaler") => hpa(obj, &mut e),
        ("policy", "PodDisruptionBudget") => pdb(obj, &mut e),
        ("coordination.k8s.io", "Lease") => lease(obj, &mut e),
        _ => {}
    }
    e
}

// ---------------------------------------------------------------------------------------------
// JSON access. Missing and `null` are the same (Go's zero value); wrong types count as absent.

fn get<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    v.get(k).filter(|x| !x.is_null())
}

/// `v[k]`, or `null` when absent, so nested lookups can continue.
fn sub<'a>(v: &'a Value, k: &str) -> &'a Value {
    get(v, k).unwrap_or(&NULL)
}

fn st<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// A string field that is present (possibly empty): a Go `*string` that is set.
fn opt_str<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn obj_of<'a>(v: &'a Value, k: &str) -> Option<&'a Obj> {
    v.get(k).and_then(Value::as_object)
}

fn as_int(v: &Value) -> Option<i64> {
    let n = v.as_number()?;
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
            .map(|f| f as i64)
    })
}

fn int(v: &Value, k: &str) -> Option<i64> {
    v.get(k).and_then(as_int)
}

fn is_true(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool) == Some(true)
}

fn str_list<'a>(v: &'a Value, k: &str) -> Vec<&'a str> {
    arr(v, k).iter().filter_map(Value::as_str).collect()
}

/// `obj.metadata` fields.
fn meta_str<'a>(obj: &'a Value, k: &str) -> &'a str {
    st(sub(obj, "metadata"), k)
}

// ---------------------------------------------------------------------------------------------
// Field paths, as apimachinery's `field.Path` prints them.

fn c(p: &str, k: &str) -> String {
    if p.is_empty() {
        k.to_owned()
    } else {
        format!("{p}.{k}")
    }
}

fn ix(p: &str, i: usize) -> String {
    format!("{p}[{i}]")
}

fn ky(p: &str, k: &str) -> String {
    format!("{p}[{k}]")
}

// ---------------------------------------------------------------------------------------------
// Errors.

const NEGATIVE: &str = "must be greater than or equal to 0";
const NOT_POSITIVE: &str = "must be greater than zero";
const IMMUTABLE: &str = "field is immutable";

fn raw(p: &str, kind: FieldErrorKind, value: Option<String>, detail: &str) -> FieldError {
    FieldError {
        field: p.to_owned(),
        kind,
        value,
        detail: detail.to_owned(),
    }
}

fn required(p: &str, detail: &str) -> FieldError {
    FieldError::required(p, detail)
}

fn invalid(p: &str, value: &str, detail: &str) -> FieldError {
    FieldError::invalid(p, value, detail)
}

fn invalid_int(p: &str, n: i64, detail: &str) -> FieldError {
    raw(p, FieldErrorKind::Invalid, Some(n.to_string()), detail)
}

/// `Invalid value: <rendered>` with the value already printed (Go syntax or JSON).
fn invalid_raw(p: &str, rendered: String, detail: &str) -> FieldError {
    raw(p, FieldErrorKind::Invalid, Some(rendered), detail)
}

fn invalid_json(p: &str, v: &Value, detail: &str) -> FieldError {
    FieldError::invalid_json(p, v, detail)
}

fn not_supported(p: &str, value: &str, supported: &[&str]) -> FieldError {
    not_supported_v(p, &Value::String(value.to_owned()), supported)
}

fn not_supported_v(p: &str, value: &Value, supported: &[&str]) -> FieldError {
    let list: Vec<String> = supported.iter().map(|s| (*s).to_owned()).collect();
    FieldError::not_supported(p, value, &list)
}

fn forbidden(p: &str, detail: &str) -> FieldError {
    FieldError::forbidden(p, detail)
}

fn duplicate(p: &str, value: &str) -> FieldError {
    FieldError::duplicate(p, &Value::String(value.to_owned()))
}

fn duplicate_raw(p: &str, rendered: String) -> FieldError {
    raw(p, FieldErrorKind::Duplicate, Some(rendered), "")
}

/// kube's `field.NotFound` (`Not found: "x"`). [`FieldErrorKind`] has no `NotFound` yet, so this
/// is reported as an invalid value with the detail `not found` until it gains one.
fn not_found(p: &str, value: &str) -> FieldError {
    invalid(p, value, "not found")
}

fn immutable(p: &str, new: Option<&Value>) -> FieldError {
    invalid_raw(p, render_any(new), IMMUTABLE)
}

/// `v` when set, rendered like kube prints a bad value (a nil pointer is `"null"`).
fn render_any(v: Option<&Value>) -> String {
    render_value(v.unwrap_or(&NULL))
}

/// `ValidateNonnegativeField` on an optional integer field `v[k]`.
fn nonneg(v: &Value, k: &str, p: &str, e: &mut Errs) {
    if let Some(n) = int(v, k).filter(|n| *n < 0) {
        e.push(invalid_int(&c(p, k), n, NEGATIVE));
    }
}

// ---------------------------------------------------------------------------------------------
// Go renderings of the values kube prints with `%#v`.

fn go_strings(list: Option<&Value>) -> String {
    match list.and_then(Value::as_array) {
        None => "[]string(nil)".to_owned(),
        Some(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|v| go_quote(v.as_str().unwrap_or_default()))
                .collect();
            format!("[]string{{{}}}", parts.join(", "))
        }
    }
}

/// A `map[string]string` as `%#v` prints it: keys sorted, `map[string]string(nil)` when nil.
fn go_string_map(v: Option<&Value>) -> String {
    match v.and_then(Value::as_object) {
        None => "map[string]string(nil)".to_owned(),
        Some(m) => {
            let sorted: BTreeMap<&String, &Value> = m.iter().collect();
            let parts: Vec<String> = sorted
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        go_quote(k),
                        go_quote(v.as_str().unwrap_or_default())
                    )
                })
                .collect();
            format!("map[string]string{{{}}}", parts.join(", "))
        }
    }
}

/// A `metav1.LabelSelector` as `%#v` prints it; `"null"` for a nil pointer.
fn go_selector(v: Option<&Value>) -> String {
    let Some(sel) = v.filter(|s| !s.is_null()) else {
        return go_quote("null");
    };
    let exprs = match sel.get("matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_owned(),
        Some(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|x| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        go_quote(st(x, "key")),
                        go_quote(st(x, "operator")),
                        go_strings(x.get("values"))
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", parts.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}",
        go_string_map(sel.get("matchLabels")),
        exprs
    )
}

/// An `intstr.IntOrString` as `%#v` prints it.
fn go_intstr(v: &Value) -> String {
    match v {
        Value::String(s) => format!(
            "intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}",
            go_quote(s)
        ),
        other => format!(
            "intstr.IntOrString{{Type:0, IntVal:{}, StrVal:\"\"}}",
            as_int(other).unwrap_or(0)
        ),
    }
}

/// Go's `RegexError`, including its `',  or '` between examples.
fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{re}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, ex) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{ex}', "));
    }
    out.push_str(&format!("regex used for validation is '{re}')"));
    out
}

// ---------------------------------------------------------------------------------------------
// Semantic equality, as `apiequality.Semantic.DeepEqual` sees two decoded Go values: absent,
// `null`, `""`, `0`, `false`, `[]` and `{}` are all the zero value.

fn normalized(v: &Value) -> Option<Value> {
    match v {
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.is_empty() => None,
        Value::Number(n) if n.as_f64() == Some(0.0) => None,
        Value::Array(a) => {
            if a.is_empty() {
                None
            } else {
                Some(Value::Array(
                    a.iter()
                        .map(|x| normalized(x).unwrap_or(Value::Null))
                        .collect(),
                ))
            }
        }
        Value::Object(m) => {
            let out: Obj = m
                .iter()
                .filter_map(|(k, x)| normalized(x).map(|n| (k.clone(), n)))
                .collect();
            (!out.is_empty()).then_some(Value::Object(out))
        }
        other => Some(other.clone()),
    }
}

fn sem_eq(a: Option<&Value>, b: Option<&Value>) -> bool {
    a.and_then(normalized) == b.and_then(normalized)
}

// ---------------------------------------------------------------------------------------------
// Value formats from `k8s.io/apimachinery/pkg/util/validation`.

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

fn inclusive_range_error(lo: i64, hi: i64) -> String {
    format!("must be between {lo} and {hi}, inclusive")
}

fn is_valid_port_num(n: i64) -> Vec<String> {
    if (1..=65535).contains(&n) {
        Vec::new()
    } else {
        vec![inclusive_range_error(1, 65535)]
    }
}

/// `IsValidPortName`: an IANA_SVC_NAME.
fn is_valid_port_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 15 {
        errs.push(max_len_error(15));
    }
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        errs.push(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_owned(),
        );
    }
    if !s.bytes().any(|b| b.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".to_owned());
    }
    if s.contains("--") {
        errs.push("must not contain consecutive hyphens".to_owned());
    }
    if s.starts_with('-') || s.ends_with('-') {
        errs.push("must not begin or end with a hyphen".to_owned());
    }
    errs
}

/// `IsRelaxedEnvVarName` (the `RelaxedEnvironmentVariableValidation` gate is on in v1.33): any
/// printable ASCII but `=`.
fn is_relaxed_env_var_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.is_empty() {
        errs.push("environment variable name must be non-empty".to_owned());
    }
    if s.chars().any(|ch| !(' '..='~').contains(&ch) || ch == '=') {
        errs.push(
            "a valid environment variable name must consist only of printable ASCII characters other than '='"
                .to_owned(),
        );
    }
    errs
}

/// `IsConfigMapKey`: keys of ConfigMap and Secret data.
fn is_config_map_key(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        errs.push(regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            "[-._a-zA-Z0-9]+",
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    if s == "." {
        errs.push("must not be '.'".to_owned());
    } else if s == ".." {
        errs.push("must not be '..'".to_owned());
    } else if s.starts_with("..") {
        errs.push("must not start with '..'".to_owned());
    }
    errs
}

/// `IsValidPercent`.
fn is_valid_percent(s: &str) -> Vec<String> {
    let digits = s.strip_suffix('%').unwrap_or("");
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    vec![regex_error(
        "a valid percent string must be a numeric string followed by an ending '%'",
        "[0-9]+%",
        &["1%", "93%"],
    )]
}

/// `IsHTTPHeaderName`.
fn is_http_header_name(s: &str) -> Vec<String> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Vec::new();
    }
    vec![regex_error(
        "a valid HTTP header must consist of alphanumeric characters or '-'",
        "[-A-Za-z0-9]+",
        &["X-Header-Name"],
    )]
}

/// `IsWildcardDNS1123Subdomain`: `*.` followed by a DNS subdomain.
fn is_wildcard_dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    let ok = s.strip_prefix("*.").is_some_and(|rest| {
        is_dns1123_subdomain(rest)
            .iter()
            .all(|m| m.starts_with("must be no more"))
    });
    if !ok {
        errs.push(regex_error(
            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
            r"\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
            &["*.example.com"],
        ));
    }
    errs
}

const IP_ERROR: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
const CIDR_ERROR: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, bits) = s.split_once('/')?;
    let ip = parse_ip(ip)?;
    if bits.is_empty() || !bits.bytes().all(|b| b.is_ascii_digit()) || bits.len() > 3 {
        return None;
    }
    let bits: u8 = bits.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

fn validate_ip(p: &str, s: &str, e: &mut Errs) {
    if parse_ip(s).is_none() {
        e.push(invalid(p, s, IP_ERROR));
    }
}

fn validate_cidr(p: &str, s: &str, e: &mut Errs) {
    if parse_cidr(s).is_none() {
        e.push(invalid(p, s, CIDR_ERROR));
    }
}

fn dns_label(p: &str, s: &str, e: &mut Errs) {
    for msg in is_dns1123_label(s) {
        e.push(invalid(p, s, &msg));
    }
}

fn dns_subdomain(p: &str, s: &str, e: &mut Errs) {
    for msg in is_dns1123_subdomain(s) {
        e.push(invalid(p, s, &msg));
    }
}

fn qualified_name(p: &str, s: &str, e: &mut Errs) {
    for msg in is_qualified_name(s) {
        e.push(invalid(p, s, &msg));
    }
}

fn path_segment(p: &str, s: &str, e: &mut Errs) {
    for msg in is_valid_path_segment_name(s) {
        e.push(invalid(p, s, &msg));
    }
}

/// `ValidatePortNumOrName` on an int-or-string port.
fn port_num_or_name(p: &str, v: Option<&Value>, e: &mut Errs) {
    match v {
        Some(Value::String(s)) => {
            for msg in is_valid_port_name(s) {
                e.push(invalid(p, s, &msg));
            }
        }
        other => {
            let n = other.and_then(as_int).unwrap_or(0);
            for msg in is_valid_port_num(n) {
                e.push(invalid_int(p, n, &msg));
            }
        }
    }
}

/// Decodes standard base64 (Secret `data`, ConfigMap `binaryData`); `None` when malformed.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn val(b: u8) -> Option<u32> {
        match b {
            b'A'..=b'Z' => Some(u32::from(b - b'A')),
            b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let body = s.trim_end_matches('=');
    if s.len() - body.len() > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for b in body.bytes() {
        acc = (acc << 6) | val(b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The length of a `[]byte` field: decoded base64, or the raw length when it is not base64.
fn bytes_len(v: &Value) -> usize {
    match v.as_str() {
        Some(s) => base64_decode(s).map_or(s.len(), |b| b.len()),
        None => 0,
    }
}

// ---------------------------------------------------------------------------------------------
// Resource quantities ([`crate::quantity`]): compared by value, printed the way
// `Quantity.String()` does.

/// Parses the quantity at `v`, reporting a malformed one at `p`.
fn quantity_at(p: &str, v: &Value, e: &mut Errs) -> Option<Quantity> {
    match Quantity::from_json(v) {
        Ok(q) => Some(q),
        Err(err) => {
            e.push(invalid_json(p, v, err.message()));
            None
        }
    }
}

const STANDARD_CONTAINER_RESOURCES: &[&str] = &["cpu", "memory", "ephemeral-storage"];
const STANDARD_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "storage",
    "requests.storage",
    "services.nodeports",
    "services.loadbalancers",
];
const STANDARD_QUOTA_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "persistentvolumeclaims",
    "configmaps",
    "services.nodeports",
    "services.loadbalancers",
];
/// Resources counted in whole units.
const INTEGER_RESOURCES: &[&str] = &[
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
];

fn is_hugepages(name: &str) -> bool {
    name.starts_with("hugepages-")
}

fn is_standard_resource(name: &str) -> bool {
    STANDARD_RESOURCES.contains(&name)
        || is_hugepages(name)
        || name.starts_with("requests.hugepages-")
}

/// No `/`, or a `kubernetes.io/` prefix.
fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_extended_resource(name: &str) -> bool {
    if is_native_resource(name) || name.starts_with("requests.") {
        return false;
    }
    is_qualified_name(&format!("requests.{name}")).is_empty()
}

fn is_integer_resource(name: &str) -> bool {
    INTEGER_RESOURCES.contains(&name) || is_extended_resource(name)
}

/// Requests may be lower than limits only for native, non-hugepage resources.
fn is_overcommit_allowed(name: &str) -> bool {
    is_native_resource(name) && !is_hugepages(name)
}

/// `validateResourceName`.
fn resource_name(p: &str, name: &str, e: &mut Errs) -> bool {
    let before = e.len();
    qualified_name(p, name, e);
    if e.len() > before {
        return false;
    }
    if !name.contains('/') && !is_standard_resource(name) {
        e.push(invalid(
            p,
            name,
            "must be a standard resource type or fully qualified",
        ));
    }
    e.len() == before
}

/// `validateContainerResourceName`.
fn container_resource_name(p: &str, name: &str, e: &mut Errs) {
    resource_name(p, name, e);
    if !name.contains('/') {
        if !STANDARD_CONTAINER_RESOURCES.contains(&name) && !is_hugepages(name) {
            e.push(invalid(
                p,
                name,
                "must be a standard resource for containers",
            ));
        }
    } else if !is_native_resource(name) && !is_extended_resource(name) {
        e.push(invalid(
            p,
            name,
            "doesn't follow extended resource name standard",
        ));
    }
}

/// `ValidateResourceQuantityValue`: non-negative, and whole for integer resources.
fn resource_quantity_value(p: &str, name: &str, q: Quantity, e: &mut Errs) {
    if q.is_negative() {
        e.push(invalid(p, &q.to_string(), NEGATIVE));
    }
    // kube asks `MilliValue() % 1000 == 0`, which overflows where the milli value does not fit.
    let integer = q
        .checked_milli_value()
        .map_or_else(|| q.is_integer(), |m| m % 1000 == 0);
    if is_integer_resource(name) && !integer {
        e.push(invalid(p, &q.to_string(), "must be an integer"));
    }
}

// ---------------------------------------------------------------------------------------------
// PodSpec (`ValidatePodSpec` and what it calls), wherever it is embedded.

/// What differs between the places a PodSpec is validated.
#[derive(Default)]
struct PodCtx {
    /// A Pod rather than a template: enables the pod-only rules (`opts.ResourceIsPod`).
    is_pod: bool,
    /// Volume names that exist without being in `volumes`: a StatefulSet's claim templates.
    extra_volumes: Vec<String>,
}

/// The volumes that passed validation, by name, as `ValidateVolumes` returns them.
type Vols<'a> = HashMap<String, &'a Value>;

/// Every member of `VolumeSource`, in the order `validateVolumeSource` checks them, with the
/// path kube reports a second source under (two of them misspelt by kube).
const VOLUME_SOURCES: &[(&str, &str)] = &[
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
];

const FILE_MODE_ERROR: &str = "must be a number between 0 and 0777 (octal), both inclusive";

fn file_mode(v: &Value, k: &str, p: &str, e: &mut Errs) {
    if let Some(m) = int(v, k).filter(|m| !(0..=0o777).contains(m)) {
        e.push(invalid_int(&c(p, k), m, FILE_MODE_ERROR));
    }
}

/// `validatePathNoBacksteps`.
fn no_backsteps(p: &str, path: &str, e: &mut Errs) {
    if path.replace('\\', "/").split('/').any(|s| s == "..") {
        e.push(invalid(p, path, "must not contain '..'"));
    }
}

/// `validateLocalDescendingPath`.
fn local_descending_path(p: &str, path: &str, e: &mut Errs) {
    if path.starts_with('/') {
        e.push(invalid(p, path, "must be a relative path"));
    }
    no_backsteps(p, path, e);
}

/// `ValidateLocalNonReservedPath`.
fn local_non_reserved_path(p: &str, path: &str, e: &mut Errs) {
    local_descending_path(p, path, e);
    if path.starts_with("..") && !path.starts_with("../") {
        e.push(invalid(p, path, "must not start with '..'"));
    }
}

fn key_to_paths(v: &Value, p: &str, e: &mut Errs) {
    for (i, kp) in arr(v, "items").iter().enumerate() {
        let ip = ix(&c(p, "items"), i);
        if st(kp, "key").is_empty() {
            e.push(required(&c(&ip, "key"), ""));
        }
        let path = st(kp, "path");
        if path.is_empty() {
            e.push(required(&c(&ip, "path"), ""));
        }
        local_non_reserved_path(&c(&ip, "path"), path, e);
        file_mode(kp, "mode", &ip, e);
    }
}

fn volumes<'a>(spec: &'a Value, p: &str, e: &mut Errs) -> Vols<'a> {
    let mut vols = Vols::new();
    for (i, vol) in arr(spec, "volumes").iter().enumerate() {
        let vp = ix(p, i);
        let name = st(vol, "name");
        let mut el = Vec::new();
        volume_source(vol, &vp, &mut el);
        if name.is_empty() {
            el.push(required(&c(&vp, "name"), ""));
        } else {
            dns_label(&c(&vp, "name"), name, &mut el);
        }
        if vols.contains_key(name) {
            el.push(duplicate(&c(&vp, "name"), name));
        }
        if el.is_empty() {
            vols.insert(name.to_owned(), vol);
        } else {
            e.extend(el);
        }
    }
    vols
}

fn volume_source(vol: &Value, p: &str, e: &mut Errs) {
    let mut count = 0;
    for (key, dup_path) in VOLUME_SOURCES {
        let Some(src) = get(vol, key) else {
            continue;
        };
        if count > 0 {
            e.push(forbidden(
                &c(p, dup_path),
                "may not specify more than 1 volume type",
            ));
            continue;
        }
        count += 1;
        let sp = c(p, key);
        match *key {
            "emptyDir" => {
                if let Some(limit) = get(src, "sizeLimit")
                    && Quantity::from_json(limit).is_ok_and(Quantity::is_negative)
                {
                    e.push(forbidden(
                        &c(&sp, "sizeLimit"),
                        "SizeLimit field must be a valid resource quantity",
                    ));
                }
            }
            "hostPath" => {
                let path = st(src, "path");
                if path.is_empty() {
                    e.push(required(&c(&sp, "path"), ""));
                } else {
                    no_backsteps(&c(&sp, "path"), path, e);
                    if let Some(t) = opt_str(src, "type")
                        && !HOST_PATH_TYPES.contains(&t)
                    {
                        e.push(not_supported(&c(&sp, "type"), t, HOST_PATH_TYPES));
                    }
                }
            }
            "gitRepo" => {
                if st(src, "repository").is_empty() {
                    e.push(required(&c(&sp, "repository"), ""));
                }
                local_descending_path(&c(&sp, "directory"), st(src, "directory"), e);
            }
            "secret" => {
                if st(src, "secretName").is_empty() {
                    e.push(required(&c(&sp, "secretName"), ""));
                }
                file_mode(src, "defaultMode", &sp, e);
                key_to_paths(src, &sp, e);
            }
            "configMap" => {
                if st(src, "name").is_empty() {
                    e.push(required(&c(&sp, "name"), ""));
                }
                file_mode(src, "defaultMode", &sp, e);
                key_to_paths(src, &sp, e);
            }
            "nfs" => {
                if st(src, "server").is_empty() {
                    e.push(required(&c(&sp, "server"), ""));
                }
                let path = st(src, "path");
                if path.is_empty() {
                    e.push(required(&c(&sp, "path"), ""));
                }
                if !path.starts_with('/') {
                    e.push(invalid(&c(&sp, "path"), path, "must be an absolute path"));
                }
            }
            "persistentVolumeClaim" if st(src, "claimName").is_empty() => {
                e.push(required(&c(&sp, "claimName"), ""));
            }
            "downwardAPI" => {
                file_mode(src, "defaultMode", &sp, e);
                for item in arr(src, "items") {
                    downward_api_file(item, &sp, e);
                }
            }
            "projected" => {
                file_mode(src, "defaultMode", &sp, e);
                projected_sources(src, &sp, e);
            }
            "csi" => csi_driver_name(&c(&sp, "driver"), st(src, "driver"), e),
            "ephemeral" => match get(src, "volumeClaimTemplate") {
                None => e.push(required(&c(&sp, "volumeClaimTemplate"), "")),
                Some(t) => {
                    let tp = c(&sp, "volumeClaimTemplate");
                    if let Some(m) = get(t, "metadata") {
                        if let Some(l) = m.get("labels") {
                            e.extend(validate_labels(l, &c(&tp, "metadata.labels")));
                        }
                        if let Some(a) = m.get("annotations") {
                            e.extend(validate_annotations(a, &c(&tp, "metadata.annotations")));
                        }
                    }
                    pvc_spec(sub(t, "spec"), &c(&tp, "spec"), e);
                }
            },
            "glusterfs" => {
                if st(src, "endpoints").is_empty() {
                    e.push(required(&c(&sp, "endpoints"), ""));
                }
                if st(src, "path").is_empty() {
                    e.push(required(&c(&sp, "path"), ""));
                }
            }
            "iscsi" => {
                if st(src, "targetPortal").is_empty() {
                    e.push(required(&c(&sp, "targetPortal"), ""));
                }
                if st(src, "iqn").is_empty() {
                    e.push(required(&c(&sp, "iqn"), ""));
                }
            }
            "rbd" => {
                if arr(src, "monitors").is_empty() {
                    e.push(required(&c(&sp, "monitors"), ""));
                }
                if st(src, "image").is_empty() {
                    e.push(required(&c(&sp, "image"), ""));
                }
            }
            "cephfs" if arr(src, "monitors").is_empty() => {
                e.push(required(&c(&sp, "monitors"), ""));
            }
            "flexVolume" if st(src, "driver").is_empty() => {
                e.push(required(&c(&sp, "driver"), ""));
            }
            "gcePersistentDisk" => {
                // kube validates this source under a path it never had.
                let pp = c(p, "persistentDisk");
                if st(src, "pdName").is_empty() {
                    e.push(required(&c(&pp, "pdName"), ""));
                }
            }
            "awsElasticBlockStore" | "cinder" | "portworxVolume"
                if st(src, "volumeID").is_empty() =>
            {
                e.push(required(&c(&sp, "volumeID"), ""));
            }
            _ => {}
        }
    }
    if count == 0 {
        e.push(required(p, "must specify a volume type"));
    }
}

const HOST_PATH_TYPES: &[&str] = &[
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
];

fn csi_driver_name(p: &str, driver: &str, e: &mut Errs) {
    if driver.is_empty() {
        e.push(required(p, ""));
    }
    if driver.len() > 63 {
        e.push(FieldError::too_long(p, 63));
    }
    for msg in is_dns1123_subdomain(&driver.to_lowercase()) {
        e.push(invalid(p, driver, &msg));
    }
}

const VOLUME_FIELD_PATHS: &[&str] = &[
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
];
const ENV_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];
const RESOURCE_FIELD_PATHS: &[&str] = &[
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

fn downward_api_file(item: &Value, p: &str, e: &mut Errs) {
    let path = st(item, "path");
    if path.is_empty() {
        e.push(required(&c(p, "path"), ""));
    }
    local_non_reserved_path(&c(p, "path"), path, e);
    if let Some(fr) = get(item, "fieldRef") {
        object_field_selector(fr, VOLUME_FIELD_PATHS, &c(p, "fieldRef"), e);
        if get(item, "resourceFieldRef").is_some() {
            e.push(invalid(
                p,
                "resource",
                "fieldRef and resourceFieldRef can not be specified simultaneously",
            ));
        }
    } else if let Some(rf) = get(item, "resourceFieldRef") {
        resource_field_selector(rf, &c(p, "resourceFieldRef"), true, e);
    } else {
        e.push(required(
            p,
            "one of fieldRef and resourceFieldRef is required",
        ));
    }
    file_mode(item, "mode", p, e);
}

fn projected_sources(src: &Value, p: &str, e: &mut Errs) {
    let mut paths = HashSet::new();
    for (i, source) in arr(src, "sources").iter().enumerate() {
        let sp = ix(&c(p, "sources"), i);
        let mut n = 0;
        for key in ["secret", "configMap"] {
            if let Some(s) = get(source, key) {
                n += 1;
                let kp = c(&sp, key);
                if st(s, "name").is_empty() {
                    e.push(required(&c(&kp, "name"), ""));
                }
                key_to_paths(s, &kp, e);
                for item in arr(s, "items") {
                    let path = st(item, "path");
                    if !path.is_empty() && !paths.insert(path.to_owned()) {
                        e.push(invalid(p, st(s, "name"), "conflicting duplicate paths"));
                    }
                }
            }
        }
        if let Some(d) = get(source, "downwardAPI") {
            n += 1;
            for item in arr(d, "items") {
                downward_api_file(item, &c(&sp, "downwardAPI"), e);
                let path = st(item, "path");
                if !path.is_empty() && !paths.insert(path.to_owned()) {
                    e.push(invalid(p, path, "conflicting duplicate paths"));
                }
            }
        }
        if let Some(t) = get(source, "serviceAccountToken") {
            n += 1;
            let tp = c(&sp, "serviceAccountToken");
            let exp = int(t, "expirationSeconds").unwrap_or(0);
            if exp < 600 {
                e.push(invalid_int(
                    &c(&tp, "expirationSeconds"),
                    exp,
                    "may not specify a duration less than 10 minutes",
                ));
            }
            if exp > 1 << 32 {
                e.push(invalid_int(
                    &c(&tp, "expirationSeconds"),
                    exp,
                    "may not specify a duration larger than 2^32 seconds",
                ));
            }
            let path = st(t, "path");
            if path.is_empty() {
                e.push(required(&c(p, "path"), ""));
            } else {
                local_non_reserved_path(&c(p, "path"), path, e);
            }
        }
        if get(source, "clusterTrustBundle").is_some() {
            n += 1;
        }
        if n > 1 {
            e.push(forbidden(
                &sp,
                "may not specify more than 1 volume type per source",
            ));
        }
    }
}

/// `SplitMaybeSubscriptedPath`: `metadata.labels['key']` into path and subscript.
fn split_subscripted(path: &str) -> Option<(&str, &str)> {
    let s = path.strip_suffix("']")?;
    let (head, sub) = s.split_once("['")?;
    (!head.is_empty()).then_some((head, sub))
}

/// `validateObjectFieldSelector` with kube's v1 field-label conversion.
fn object_field_selector(fs: &Value, expressions: &[&str], p: &str, e: &mut Errs) {
    let api_version = st(fs, "apiVersion");
    if api_version.is_empty() {
        e.push(required(&c(p, "apiVersion"), ""));
        return;
    }
    let field_path = st(fs, "fieldPath");
    if field_path.is_empty() {
        e.push(required(&c(p, "fieldPath"), ""));
        return;
    }
    const CONVERTIBLE: &[&str] = &[
        "metadata.annotations",
        "metadata.labels",
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.serviceAccountName",
        "spec.schedulerName",
        "status.phase",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
    ];
    let converted = if api_version != "v1" {
        Err(format!("unsupported pod version: {api_version}"))
    } else if let Some((head, _)) = split_subscripted(field_path) {
        if matches!(head, "metadata.annotations" | "metadata.labels") {
            Ok(field_path)
        } else {
            Err(format!(
                "field label does not support subscript: {field_path}"
            ))
        }
    } else if field_path == "spec.host" {
        Ok("spec.nodeName")
    } else if CONVERTIBLE.contains(&field_path) {
        Ok(field_path)
    } else {
        Err(format!("field label not supported: {field_path}"))
    };
    let internal = match converted {
        Ok(path) => path,
        Err(err) => {
            e.push(invalid(
                &c(p, "fieldPath"),
                field_path,
                &format!("error converting fieldPath: {err}"),
            ));
            return;
        }
    };
    if let Some((head, subscript)) = split_subscripted(internal) {
        match head {
            "metadata.annotations" => qualified_name(p, &subscript.to_lowercase(), e),
            "metadata.labels" => qualified_name(p, subscript, e),
            _ => e.push(invalid(p, head, "does not support subscript")),
        }
    } else if !expressions.contains(&internal) {
        e.push(not_supported(&c(p, "fieldPath"), internal, expressions));
    }
}

fn resource_field_selector(rf: &Value, p: &str, volume: bool, e: &mut Errs) {
    let resource = st(rf, "resource");
    if volume && st(rf, "containerName").is_empty() {
        e.push(required(&c(p, "containerName"), ""));
    } else if resource.is_empty() {
        e.push(required(&c(p, "resource"), ""));
    } else if !RESOURCE_FIELD_PATHS.contains(&resource)
        && !resource.starts_with("requests.hugepages-")
        && !resource.starts_with("limits.hugepages-")
    {
        e.push(not_supported(
            &c(p, "resource"),
            resource,
            RESOURCE_FIELD_PATHS,
        ));
    }
}

/// `ValidateEnv`.
fn env_vars(ctr: &Value, p: &str, e: &mut Errs) {
    for (i, ev) in arr(ctr, "env").iter().enumerate() {
        let ep = ix(p, i);
        let name = st(ev, "name");
        if name.is_empty() {
            e.push(required(&c(&ep, "name"), ""));
        } else {
            for msg in is_relaxed_env_var_name(name) {
                e.push(invalid(&c(&ep, "name"), name, &msg));
            }
        }
        let Some(from) = get(ev, "valueFrom") else {
            continue;
        };
        let fp = c(&ep, "valueFrom");
        let mut n = 0;
        if let Some(fr) = get(from, "fieldRef") {
            n += 1;
            object_field_selector(fr, ENV_FIELD_PATHS, &c(&fp, "fieldRef"), e);
        }
        if let Some(rf) = get(from, "resourceFieldRef") {
            n += 1;
            resource_field_selector(rf, &c(&fp, "resourceFieldRef"), false, e);
        }
        for key in ["configMapKeyRef", "secretKeyRef"] {
            if let Some(kr) = get(from, key) {
                n += 1;
                let kp = c(&fp, key);
                let ref_name = st(kr, "name");
                for msg in is_dns1123_subdomain(ref_name) {
                    e.push(invalid(&c(&kp, "name"), ref_name, &msg));
                }
                let k = st(kr, "key");
                if k.is_empty() {
                    e.push(required(&c(&kp, "key"), ""));
                } else {
                    for msg in is_config_map_key(k) {
                        e.push(invalid(&c(&kp, "key"), k, &msg));
                    }
                }
            }
        }
        if n == 0 {
            e.push(invalid(
                &fp,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ));
        } else if !st(ev, "value").is_empty() {
            e.push(invalid(
                &fp,
                "",
                "may not be specified when `value` is not empty",
            ));
        } else if n > 1 {
            e.push(invalid(
                &fp,
                "",
                "may not have more than one field specified at a time",
            ));
        }
    }
}

/// `ValidateEnvFrom`; kube reports a missing source at the list itself.
fn env_from(ctr: &Value, p: &str, e: &mut Errs) {
    for (i, ev) in arr(ctr, "envFrom").iter().enumerate() {
        let ep = ix(p, i);
        let prefix = st(ev, "prefix");
        if !prefix.is_empty() {
            for msg in is_relaxed_env_var_name(prefix) {
                e.push(invalid(&c(&ep, "prefix"), prefix, &msg));
            }
        }
        let mut n = 0;
        for key in ["configMapRef", "secretRef"] {
            if let Some(r) = get(ev, key) {
                n += 1;
                let rp = c(&c(&ep, key), "name");
                let name = st(r, "name");
                if name.is_empty() {
                    e.push(required(&rp, ""));
                } else {
                    for msg in NameRule::Subdomain.validate(name, true) {
                        e.push(invalid(&rp, name, &msg));
                    }
                }
            }
        }
        if n == 0 {
            e.push(invalid(
                p,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            ));
        } else if n > 1 {
            e.push(invalid(
                p,
                "",
                "may not have more than one field specified at a time",
            ));
        }
    }
}

/// `validateContainerPorts`.
fn container_ports(ctr: &Value, p: &str, e: &mut Errs) {
    let mut names = HashSet::new();
    for (i, port) in arr(ctr, "ports").iter().enumerate() {
        let pp = ix(p, i);
        let name = st(port, "name");
        if !name.is_empty() {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                for msg in msgs {
                    e.push(invalid(&c(&pp, "name"), name, &msg));
                }
            } else if !names.insert(name) {
                e.push(duplicate(&c(&pp, "name"), name));
            }
        }
        match int(port, "containerPort").unwrap_or(0) {
            0 => e.push(required(&c(&pp, "containerPort"), "")),
            n => {
                for msg in is_valid_port_num(n) {
                    e.push(invalid_int(&c(&pp, "containerPort"), n, &msg));
                }
            }
        }
        if let Some(n) = int(port, "hostPort").filter(|n| *n != 0) {
            for msg in is_valid_port_num(n) {
                e.push(invalid_int(&c(&pp, "hostPort"), n, &msg));
            }
        }
        protocol(port, &pp, e);
    }
}

const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

/// A port's `protocol`: required, TCP, UDP or SCTP.
fn protocol(port: &Value, p: &str, e: &mut Errs) {
    match st(port, "protocol") {
        "" => e.push(required(&c(p, "protocol"), "")),
        "TCP" | "UDP" | "SCTP" => {}
        other => e.push(not_supported(&c(p, "protocol"), other, PROTOCOLS)),
    }
}

/// `ValidateVolumeMounts` (volume devices are not checked).
fn volume_mounts(ctr: &Value, p: &str, vols: &Vols<'_>, ctx: &PodCtx, e: &mut Errs) {
    let mut mount_points = HashSet::new();
    for (i, m) in arr(ctr, "volumeMounts").iter().enumerate() {
        let mp = ix(p, i);
        let name = st(m, "name");
        if name.is_empty() {
            e.push(required(&c(&mp, "name"), ""));
        }
        if !vols.contains_key(name) && !ctx.extra_volumes.iter().any(|v| v == name) {
            e.push(not_found(&c(&mp, "name"), name));
        }
        let mount_path = st(m, "mountPath");
        if mount_path.is_empty() {
            e.push(required(&c(&mp, "mountPath"), ""));
        }
        if !mount_points.insert(mount_path) {
            e.push(invalid(&c(&mp, "mountPath"), mount_path, "must be unique"));
        }
        let sub_path = st(m, "subPath");
        let sub_path_expr = st(m, "subPathExpr");
        // kube reports these two at the list's path, not the mount's.
        if !sub_path.is_empty() {
            local_descending_path(&c(p, "subPath"), sub_path, e);
        }
        if !sub_path_expr.is_empty() {
            if !sub_path.is_empty() {
                e.push(invalid(
                    &c(&mp, "subPathExpr"),
                    sub_path_expr,
                    "subPathExpr and subPath are mutually exclusive",
                ));
            }
            local_descending_path(&c(p, "subPathExpr"), sub_path_expr, e);
        }
        if let Some(prop) = opt_str(m, "mountPropagation") {
            const SUPPORTED: &[&str] = &["Bidirectional", "HostToContainer", "None"];
            let mpp = c(p, "mountPropagation");
            if !SUPPORTED.contains(&prop) {
                e.push(not_supported(&mpp, prop, SUPPORTED));
            }
            let privileged = is_true(sub(ctr, "securityContext"), "privileged");
            if prop == "Bidirectional" && !privileged {
                e.push(forbidden(
                    &mpp,
                    "Bidirectional mount propagation is available only to privileged containers",
                ));
            }
        }
    }
}

/// `validateResourceRequirements` for a container.
fn resources(res: &Value, p: &str, e: &mut Errs) {
    let lim_path = c(p, "limits");
    let req_path = c(p, "requests");
    let mut limits: HashMap<&str, Quantity> = HashMap::new();
    let mut lim_cpu_mem = false;
    let mut req_cpu_mem = false;
    let mut hugepages = false;
    if let Some(lims) = obj_of(res, "limits") {
        for (name, q) in lims {
            let fp = ky(&lim_path, name);
            container_resource_name(&fp, name, e);
            if let Some(q) = quantity_at(&fp, q, e) {
                resource_quantity_value(&fp, name, q, e);
                limits.insert(name, q);
            }
            hugepages |= is_hugepages(name);
            lim_cpu_mem |= matches!(name.as_str(), "cpu" | "memory");
        }
    }
    if let Some(reqs) = obj_of(res, "requests") {
        for (name, q) in reqs {
            let fp = ky(&req_path, name);
            container_resource_name(&fp, name, e);
            let q = quantity_at(&fp, q, e);
            if let Some(q) = q {
                resource_quantity_value(&fp, name, q, e);
            }
            let overcommit = is_overcommit_allowed(name);
            match (q, limits.get(name.as_str())) {
                (Some(q), Some(limit)) => {
                    if q != *limit && !overcommit {
                        e.push(invalid(
                            &req_path,
                            &q.to_string(),
                            &format!("must be equal to {name} limit of {limit}"),
                        ));
                    } else if q > *limit {
                        e.push(invalid(
                            &req_path,
                            &q.to_string(),
                            &format!("must be less than or equal to {name} limit of {limit}"),
                        ));
                    }
                }
                (_, None)
                    if !overcommit
                        && !obj_of(res, "limits").is_some_and(|l| l.contains_key(name)) =>
                {
                    e.push(required(
                        &lim_path,
                        "Limit must be set for non overcommitable resources",
                    ));
                }
                _ => {}
            }
            hugepages |= is_hugepages(name);
            req_cpu_mem |= matches!(name.as_str(), "cpu" | "memory");
        }
    }
    if hugepages && !lim_cpu_mem && !req_cpu_mem {
        e.push(forbidden(p, "HugePages require cpu or memory"));
    }
}

/// `validateHandler` for probes and lifecycle hooks.
fn handler(h: &Value, p: &str, lifecycle: bool, grace: Option<i64>, e: &mut Errs) {
    let mut n = 0;
    let kinds: &[&str] = if lifecycle {
        &["exec", "httpGet", "tcpSocket", "sleep"]
    } else {
        &["exec", "httpGet", "tcpSocket", "grpc"]
    };
    for key in kinds {
        let Some(action) = get(h, key) else {
            continue;
        };
        let ap = c(p, key);
        if n > 0 {
            e.push(forbidden(&ap, "may not specify more than 1 handler type"));
            continue;
        }
        n += 1;
        match *key {
            "exec" if arr(action, "command").is_empty() => {
                e.push(required(&c(&ap, "command"), ""));
            }
            "httpGet" => {
                if st(action, "path").is_empty() {
                    e.push(required(&c(&ap, "path"), ""));
                }
                port_num_or_name(&c(&ap, "port"), get(action, "port"), e);
                let scheme = st(action, "scheme");
                if !matches!(scheme, "HTTP" | "HTTPS") {
                    e.push(not_supported(&c(&ap, "scheme"), scheme, &["HTTP", "HTTPS"]));
                }
                for header in arr(action, "httpHeaders") {
                    let name = st(header, "name");
                    for msg in is_http_header_name(name) {
                        e.push(invalid(&c(&ap, "httpHeaders"), name, &msg));
                    }
                }
            }
            "tcpSocket" => port_num_or_name(&c(&ap, "port"), get(action, "port"), e),
            "grpc" => {
                let port = int(action, "port").unwrap_or(0);
                for msg in is_valid_port_num(port) {
                    e.push(invalid_int(&c(&ap, "port"), port, &msg));
                }
            }
            "sleep" => {
                let secs = int(action, "seconds").unwrap_or(0);
                if let Some(g) = grace
                    && (secs < 0 || secs > g)
                {
                    e.push(invalid_int(
                        &ap,
                        secs,
                        &format!(
                            "must be non-negative and less than terminationGracePeriodSeconds ({g})"
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    if n == 0 {
        e.push(required(p, "must specify a handler type"));
    }
}

fn probe(pr: &Value, p: &str, kind: &str, grace: Option<i64>, e: &mut Errs) {
    handler(pr, p, false, grace, e);
    for k in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        nonneg(pr, k, p, e);
    }
    if let Some(t) = int(pr, "terminationGracePeriodSeconds").filter(|t| *t <= 0) {
        e.push(invalid_int(
            &c(p, "terminationGracePeriodSeconds"),
            t,
            "must be greater than 0",
        ));
    }
    match kind {
        "livenessProbe" | "startupProbe" => {
            let st = int(pr, "successThreshold").unwrap_or(0);
            if st != 1 {
                e.push(invalid_int(&c(p, "successThreshold"), st, "must be 1"));
            }
        }
        _ => {
            if let Some(t) = get(pr, "terminationGracePeriodSeconds") {
                e.push(invalid_json(
                    &c(p, "terminationGracePeriodSeconds"),
                    t,
                    "must not be set for readinessProbes",
                ));
            }
        }
    }
}

fn probes_and_lifecycle(ctr: &Value, p: &str, grace: Option<i64>, e: &mut Errs) {
    if let Some(lc) = get(ctr, "lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(h) = get(lc, hook) {
                handler(h, &c(&c(p, "lifecycle"), hook), true, grace, e);
            }
        }
    }
    for kind in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(pr) = get(ctr, kind) {
            probe(pr, &c(p, kind), kind, grace, e);
        }
    }
}

const USER_ID_ERROR: &str = "must be between 0 and 2147483647, inclusive";

fn id_field(v: &Value, k: &str, p: &str, e: &mut Errs) {
    if let Some(n) = int(v, k).filter(|n| !(0..=2_147_483_647).contains(n)) {
        e.push(invalid_int(&c(p, k), n, USER_ID_ERROR));
    }
}

fn seccomp_profile(sc: &Value, p: &str, e: &mut Errs) {
    let Some(sp) = get(sc, "seccompProfile") else {
        return;
    };
    let pp = c(p, "seccompProfile");
    match st(sp, "type") {
        "Localhost" => match opt_str(sp, "localhostProfile") {
            None => e.push(required(
                &c(&pp, "localhostProfile"),
                "must be set when seccomp type is Localhost",
            )),
            Some(lp) => local_descending_path(&c(&pp, "localhostProfile"), lp, e),
        },
        "RuntimeDefault" | "Unconfined" => {
            if get(sp, "localhostProfile").is_some() {
                e.push(invalid_json(
                    &c(&pp, "localhostProfile"),
                    sp,
                    "can only be set when seccomp type is Localhost",
                ));
            }
        }
        "" => e.push(required(
            &c(&pp, "type"),
            "type is required when seccompProfile is set",
        )),
        other => e.push(not_supported(
            &c(&pp, "type"),
            other,
            &["Localhost", "RuntimeDefault", "Unconfined"],
        )),
    }
}

/// `ValidateSecurityContext` (the checks that need no cluster policy).
fn container_security_context(ctr: &Value, p: &str, e: &mut Errs) {
    let Some(sc) = get(ctr, "securityContext") else {
        return;
    };
    let sp = c(p, "securityContext");
    id_field(sc, "runAsUser", &sp, e);
    id_field(sc, "runAsGroup", &sp, e);
    if let Some(pm) = opt_str(sc, "procMount")
        && !matches!(pm, "Default" | "Unmasked")
    {
        e.push(not_supported(
            &c(&sp, "procMount"),
            pm,
            &["Default", "Unmasked"],
        ));
    }
    seccomp_profile(sc, &sp, e);
    if sc.get("allowPrivilegeEscalation").and_then(Value::as_bool) == Some(false) {
        if is_true(sc, "privileged") {
            e.push(invalid_json(
                &sp,
                sc,
                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
            ));
        }
        if str_list(sub(sc, "capabilities"), "add").contains(&"CAP_SYS_ADMIN") {
            e.push(invalid_json(
                &sp,
                sc,
                "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
            ));
        }
    }
}

/// `validateContainerCommon`.
fn container_common(ctr: &Value, p: &str, vols: &Vols<'_>, ctx: &PodCtx, e: &mut Errs) {
    let name = st(ctr, "name");
    if name.is_empty() {
        e.push(required(&c(p, "name"), ""));
    } else {
        dns_label(&c(p, "name"), name, e);
    }
    if st(ctr, "image").is_empty() {
        e.push(required(&c(p, "image"), ""));
    }
    match st(ctr, "terminationMessagePolicy") {
        "File" | "FallbackToLogsOnError" => {}
        "" => e.push(required(&c(p, "terminationMessagePolicy"), "")),
        other => e.push(not_supported(
            &c(p, "terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    container_ports(ctr, &c(p, "ports"), e);
    env_vars(ctr, &c(p, "env"), e);
    env_from(ctr, &c(p, "envFrom"), e);
    volume_mounts(ctr, &c(p, "volumeMounts"), vols, ctx, e);
    match st(ctr, "imagePullPolicy") {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => e.push(required(&c(p, "imagePullPolicy"), "")),
        other => e.push(not_supported(
            &c(p, "imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    resources(sub(ctr, "resources"), &c(p, "resources"), e);
    container_security_context(ctr, p, e);
    if ctx.is_pod {
        let image = st(ctr, "image");
        if image.len() != image.trim().len() {
            e.push(invalid(
                &c(p, "image"),
                image,
                "must not have leading or trailing whitespace",
            ));
        }
    }
}

/// `checkHostPortConflicts` over `containers`.
fn host_port_conflicts(containers: &[Value], p: &str, e: &mut Errs) {
    let mut seen = HashSet::new();
    for (ci, ctr) in containers.iter().enumerate() {
        for (pi, port) in arr(ctr, "ports").iter().enumerate() {
            let host_port = int(port, "hostPort").unwrap_or(0);
            if host_port == 0 {
                continue;
            }
            let key = format!(
                "{}/{}/{}",
                st(port, "protocol"),
                st(port, "hostIP"),
                host_port
            );
            if !seen.insert(key.clone()) {
                e.push(duplicate(
                    &c(&ix(&c(&ix(p, ci), "ports"), pi), "hostPort"),
                    &key,
                ));
            }
        }
    }
}

fn containers(spec: &Value, p: &str, vols: &Vols<'_>, ctx: &PodCtx, e: &mut Errs) {
    let grace = int(spec, "terminationGracePeriodSeconds");
    let list = arr(spec, "containers");
    let cp = c(p, "containers");
    if list.is_empty() {
        e.push(required(&cp, ""));
    }
    let mut names = HashSet::new();
    for (i, ctr) in list.iter().enumerate() {
        let ip = ix(&cp, i);
        container_common(ctr, &ip, vols, ctx, e);
        let name = st(ctr, "name");
        if !names.insert(name) {
            e.push(duplicate(&c(&ip, "name"), name));
        }
        probes_and_lifecycle(ctr, &ip, grace, e);
        if get(ctr, "restartPolicy").is_some() {
            e.push(forbidden(
                &c(&ip, "restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    host_port_conflicts(list, &cp, e);

    let ip_path = c(p, "initContainers");
    for (i, ctr) in arr(spec, "initContainers").iter().enumerate() {
        let ip = ix(&ip_path, i);
        container_common(ctr, &ip, vols, ctx, e);
        let mut restart_always = false;
        if let Some(rp) = get(ctr, "restartPolicy") {
            if rp.as_str() == Some("Always") {
                restart_always = true;
            } else {
                e.push(not_supported_v(&c(&ip, "restartPolicy"), rp, &["Always"]));
            }
        }
        let name = st(ctr, "name");
        if names.contains(name) {
            e.push(duplicate(&c(&ip, "name"), name));
        } else if !name.is_empty() {
            names.insert(name);
        }
        host_port_conflicts(std::slice::from_ref(ctr), &ip_path, e);
        if restart_always {
            probes_and_lifecycle(ctr, &ip, grace, e);
        } else {
            for key in [
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ] {
                if get(ctr, key).is_some() {
                    e.push(forbidden(
                        &c(&ip, key),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }

    let ep = c(p, "ephemeralContainers");
    for (i, ctr) in arr(spec, "ephemeralContainers").iter().enumerate() {
        let ip = ix(&ep, i);
        container_common(ctr, &ip, vols, ctx, e);
        let name = st(ctr, "name");
        if !names.insert(name) {
            e.push(duplicate(&c(&ip, "name"), name));
        }
        for key in [
            "ports",
            "resources",
            "livenessProbe",
            "readinessProbe",
            "startupProbe",
            "lifecycle",
        ] {
            let set = match get(ctr, key) {
                Some(v) => normalized(v).is_some(),
                None => false,
            };
            if set {
                e.push(forbidden(
                    &c(&ip, key),
                    "cannot be set for an Ephemeral Container",
                ));
            }
        }
    }
}

const TAINT_EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];

fn tolerations(spec: &Value, p: &str, e: &mut Errs) {
    for (i, t) in arr(spec, "tolerations").iter().enumerate() {
        let tp = ix(p, i);
        let key = st(t, "key");
        if !key.is_empty() {
            qualified_name(&c(&tp, "key"), key, e);
        }
        let op = st(t, "operator");
        if key.is_empty() && op != "Exists" {
            e.push(invalid(
                &c(&tp, "operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        let effect = st(t, "effect");
        if get(t, "tolerationSeconds").is_some() && effect != "NoExecute" {
            e.push(invalid(
                &c(&tp, "effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        let value = st(t, "value");
        match op {
            "Equal" | "" => {
                let msgs = is_valid_label_value(value);
                if !msgs.is_empty() {
                    e.push(invalid(&c(&tp, "operator"), value, &msgs.join(";")));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    e.push(invalid(
                        &c(&tp, "operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => e.push(not_supported(
                &c(&tp, "operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() && !TAINT_EFFECTS.contains(&effect) {
            e.push(not_supported(&c(&tp, "effect"), effect, TAINT_EFFECTS));
        }
    }
}

fn node_selector_requirement(rq: &Value, p: &str, check_values: bool, e: &mut Errs) {
    let values = arr(rq, "values");
    match st(rq, "operator") {
        "In" | "NotIn" => {
            if values.is_empty() {
                e.push(required(
                    &c(p, "values"),
                    "must be specified when `operator` is 'In' or 'NotIn'",
                ));
            }
        }
        "Exists" | "DoesNotExist" => {
            if !values.is_empty() {
                e.push(forbidden(
                    &c(p, "values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                ));
            }
        }
        "Gt" | "Lt" => {
            if values.len() != 1 {
                e.push(required(
                    &c(p, "values"),
                    "must be specified single value when `operator` is 'Lt' or 'Gt'",
                ));
            }
        }
        other => e.push(invalid(
            &c(p, "operator"),
            other,
            "not a valid selector operator",
        )),
    }
    qualified_name(&c(p, "key"), st(rq, "key"), e);
    if check_values {
        for (i, v) in values.iter().enumerate() {
            let s = v.as_str().unwrap_or_default();
            for msg in is_valid_label_value(s) {
                e.push(invalid(&ix(&c(p, "values"), i), s, &msg));
            }
        }
    }
}

fn node_selector_term(term: &Value, p: &str, check_values: bool, e: &mut Errs) {
    for (j, rq) in arr(term, "matchExpressions").iter().enumerate() {
        node_selector_requirement(rq, &ix(&c(p, "matchExpressions"), j), check_values, e);
    }
    for (j, rq) in arr(term, "matchFields").iter().enumerate() {
        let fp = ix(&c(p, "matchFields"), j);
        if !matches!(st(rq, "operator"), "In" | "NotIn") {
            e.push(invalid(
                &c(&fp, "operator"),
                st(rq, "operator"),
                "not a valid selector operator",
            ));
        } else if arr(rq, "values").len() != 1 {
            e.push(required(
                &c(&fp, "values"),
                "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
            ));
        }
        let key = st(rq, "key");
        if key != "metadata.name" {
            e.push(invalid(
                &c(&fp, "key"),
                key,
                "not a valid field selector key",
            ));
        } else {
            for (i, v) in arr(rq, "values").iter().enumerate() {
                dns_subdomain(&ix(&c(&fp, "values"), i), v.as_str().unwrap_or_default(), e);
            }
        }
    }
}

fn pod_affinity_terms(terms: &[Value], p: &str, weighted: bool, e: &mut Errs) {
    for (i, t) in terms.iter().enumerate() {
        let tp = ix(p, i);
        let term = if weighted {
            let w = int(t, "weight").unwrap_or(0);
            if !(1..=100).contains(&w) {
                e.push(invalid_int(
                    &c(&tp, "weight"),
                    w,
                    "must be in the range 1-100",
                ));
            }
            sub(t, "podAffinityTerm")
        } else {
            t
        };
        let ap = if weighted {
            c(&tp, "podAffinityTerm")
        } else {
            tp
        };
        for key in ["labelSelector", "namespaceSelector"] {
            if let Some(sel) = get(term, key) {
                e.extend(validate_label_selector(sel, &c(&ap, key)));
            }
        }
        for ns in str_list(term, "namespaces") {
            for msg in is_dns1123_label(ns) {
                e.push(invalid(&c(&ap, "namespace"), ns, &msg));
            }
        }
        let tk = st(term, "topologyKey");
        if tk.is_empty() {
            e.push(required(&c(&ap, "topologyKey"), "can not be empty"));
        }
        qualified_name(&c(&ap, "topologyKey"), tk, e);
    }
}

fn affinity(spec: &Value, p: &str, e: &mut Errs) {
    let Some(aff) = get(spec, "affinity") else {
        return;
    };
    if let Some(na) = get(aff, "nodeAffinity") {
        let np = c(p, "nodeAffinity");
        if let Some(req) = get(na, "requiredDuringSchedulingIgnoredDuringExecution") {
            let rp = c(&np, "requiredDuringSchedulingIgnoredDuringExecution");
            let terms = arr(req, "nodeSelectorTerms");
            if terms.is_empty() {
                e.push(required(
                    &c(&rp, "nodeSelectorTerms"),
                    "must have at least one node selector term",
                ));
            }
            for (i, t) in terms.iter().enumerate() {
                node_selector_term(t, &ix(&c(&rp, "nodeSelectorTerms"), i), true, e);
            }
        }
        let pp = c(&np, "preferredDuringSchedulingIgnoredDuringExecution");
        for (i, t) in arr(na, "preferredDuringSchedulingIgnoredDuringExecution")
            .iter()
            .enumerate()
        {
            let w = int(t, "weight").unwrap_or(0);
            if !(1..=100).contains(&w) {
                e.push(invalid_int(
                    &c(&ix(&pp, i), "weight"),
                    w,
                    "must be in the range 1-100",
                ));
            }
            node_selector_term(
                sub(t, "preference"),
                &c(&ix(&pp, i), "preference"),
                false,
                e,
            );
        }
    }
    for key in ["podAffinity", "podAntiAffinity"] {
        if let Some(pa) = get(aff, key) {
            let ap = c(p, key);
            pod_affinity_terms(
                arr(pa, "requiredDuringSchedulingIgnoredDuringExecution"),
                &c(&ap, "requiredDuringSchedulingIgnoredDuringExecution"),
                false,
                e,
            );
            pod_affinity_terms(
                arr(pa, "preferredDuringSchedulingIgnoredDuringExecution"),
                &c(&ap, "preferredDuringSchedulingIgnoredDuringExecution"),
                true,
                e,
            );
        }
    }
}

fn dns_config(spec: &Value, p: &str, e: &mut Errs) {
    let policy = st(spec, "dnsPolicy");
    let cfg = get(spec, "dnsConfig");
    if policy == "None" {
        match cfg {
            None => {
                e.push(required(
                    p,
                    "must provide `dnsConfig` when `dnsPolicy` is None",
                ));
                return;
            }
            Some(cfg) if arr(cfg, "nameservers").is_empty() => {
                e.push(required(
                    &c(p, "nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                ));
                return;
            }
            _ => {}
        }
    }
    let Some(cfg) = cfg else {
        return;
    };
    let servers = arr(cfg, "nameservers");
    if servers.len() > 3 {
        e.push(invalid_json(
            &c(p, "nameservers"),
            sub(cfg, "nameservers"),
            "must not have more than 3 nameservers",
        ));
    }
    for (i, ns) in servers.iter().enumerate() {
        validate_ip(
            &ix(&c(p, "nameservers"), i),
            ns.as_str().unwrap_or_default(),
            e,
        );
    }
    let searches = str_list(cfg, "searches");
    if searches.len() > 32 {
        e.push(invalid_json(
            &c(p, "searches"),
            sub(cfg, "searches"),
            "must not have more than 32 search paths",
        ));
    }
    if searches.join(" ").len() > 2048 {
        e.push(invalid_json(
            &c(p, "searches"),
            sub(cfg, "searches"),
            "must not have more than 2048 characters (including spaces) in the search list",
        ));
    }
    for (i, s) in searches.iter().enumerate() {
        if *s == "." {
            continue;
        }
        let s = s.strip_suffix('.').unwrap_or(s);
        // Relaxed DNS search validation (on in v1.33) also accepts underscores.
        let probe = s.replace('_', "a");
        for msg in is_dns1123_subdomain(&probe) {
            e.push(invalid(&ix(&c(p, "searches"), i), s, &msg));
        }
    }
    for (i, o) in arr(cfg, "options").iter().enumerate() {
        if st(o, "name").is_empty() {
            e.push(required(&ix(&c(p, "options"), i), "must not be empty"));
        }
    }
}

fn topology_spread(spec: &Value, p: &str, e: &mut Errs) {
    let list = arr(spec, "topologySpreadConstraints");
    for (i, tc) in list.iter().enumerate() {
        let tp = ix(p, i);
        let skew = int(tc, "maxSkew").unwrap_or(0);
        if skew <= 0 {
            e.push(invalid_int(&c(&tp, "maxSkew"), skew, NOT_POSITIVE));
        }
        if st(tc, "topologyKey").is_empty() {
            e.push(required(&c(&tp, "topologyKey"), "can not be empty"));
        }
        let wu = st(tc, "whenUnsatisfiable");
        if !matches!(wu, "DoNotSchedule" | "ScheduleAnyway") {
            e.push(not_supported(
                &c(&tp, "whenUnsatisfiable"),
                wu,
                &["DoNotSchedule", "ScheduleAnyway"],
            ));
        }
        let repeated = list[i + 1..].iter().any(|o| {
            st(o, "topologyKey") == st(tc, "topologyKey") && st(o, "whenUnsatisfiable") == wu
        });
        if repeated {
            e.push(duplicate(
                &c(&tp, "{topologyKey, whenUnsatisfiable}"),
                &format!("{{{}, {wu}}}", st(tc, "topologyKey")),
            ));
        }
        if let Some(md) = int(tc, "minDomains") {
            if md <= 0 {
                e.push(invalid_int(&c(&tp, "minDomains"), md, NOT_POSITIVE));
            }
            if wu != "DoNotSchedule" {
                e.push(invalid_int(
                    &c(&tp, "minDomains"),
                    md,
                    &format!(
                        "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {wu}"
                    ),
                ));
            }
        }
        if let Some(sel) = get(tc, "labelSelector") {
            e.extend(validate_label_selector(sel, &c(&tp, "labelSelector")));
        }
    }
}

fn pod_security_context(spec: &Value, p: &str, e: &mut Errs) {
    let Some(sc) = get(spec, "securityContext") else {
        return;
    };
    id_field(sc, "fsGroup", p, e);
    id_field(sc, "runAsUser", p, e);
    id_field(sc, "runAsGroup", p, e);
    for (i, g) in arr(sc, "supplementalGroups").iter().enumerate() {
        if let Some(n) = as_int(g).filter(|n| !(0..=2_147_483_647).contains(n)) {
            e.push(invalid_int(
                &ix(&c(p, "supplementalGroups"), i),
                n,
                USER_ID_ERROR,
            ));
        }
    }
    if let Some(policy) = opt_str(sc, "fsGroupChangePolicy")
        && !matches!(policy, "OnRootMismatch" | "Always")
    {
        e.push(not_supported(
            &c(p, "fsGroupChangePolicy"),
            policy,
            &["Always", "OnRootMismatch"],
        ));
    }
    seccomp_profile(sc, p, e);
}

/// `ValidatePodSpec`.
fn pod_spec(spec: &Value, p: &str, ctx: &PodCtx, e: &mut Errs) {
    if get(spec, "terminationGracePeriodSeconds").is_none() {
        e.push(required(&c(p, "terminationGracePeriodSeconds"), ""));
    }
    let vols = volumes(spec, &c(p, "volumes"), e);
    containers(spec, p, &vols, ctx, e);

    if is_true(spec, "hostNetwork") {
        for (i, ctr) in arr(spec, "containers").iter().enumerate() {
            for (j, port) in arr(ctr, "ports").iter().enumerate() {
                let hp = int(port, "hostPort").unwrap_or(0);
                let cp = int(port, "containerPort").unwrap_or(0);
                if (ctx.is_pod || hp != 0) && hp != cp {
                    e.push(invalid_int(
                        &c(&ix(&c(&ix(&c(p, "containers"), i), "ports"), j), "hostPort"),
                        hp,
                        "must match `containerPort` when `hostNetwork` is true",
                    ));
                }
            }
        }
    }
    match st(spec, "restartPolicy") {
        "Always" | "OnFailure" | "Never" => {}
        "" => e.push(required(&c(p, "restartPolicy"), "")),
        other => e.push(not_supported(
            &c(p, "restartPolicy"),
            other,
            &["Always", "OnFailure", "Never"],
        )),
    }
    match st(spec, "dnsPolicy") {
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        "" => e.push(required(&c(p, "dnsPolicy"), "")),
        other => e.push(not_supported(
            &c(p, "dnsPolicy"),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        )),
    }
    if let Some(ns) = spec.get("nodeSelector") {
        e.extend(validate_labels(ns, &c(p, "nodeSelector")));
    }
    pod_security_context(spec, &c(p, "securityContext"), e);
    affinity(spec, &c(p, "affinity"), e);
    dns_config(spec, &c(p, "dnsConfig"), e);
    for (i, g) in arr(spec, "readinessGates").iter().enumerate() {
        qualified_name(
            &c(&ix(&c(p, "readinessGates"), i), "conditionType"),
            st(g, "conditionType"),
            e,
        );
    }
    let mut gates = HashSet::new();
    for (i, g) in arr(spec, "schedulingGates").iter().enumerate() {
        let gp = ix(&c(p, "schedulingGates"), i);
        let name = st(g, "name");
        qualified_name(&gp, name, e);
        if !gates.insert(name) {
            e.push(duplicate(&gp, name));
        }
    }
    topology_spread(spec, &c(p, "topologySpreadConstraints"), e);
    for key in ["serviceAccountName", "nodeName"] {
        let v = st(spec, key);
        if !v.is_empty() {
            dns_subdomain(&c(p, key), v, e);
        }
    }
    if let Some(ads) = int(spec, "activeDeadlineSeconds")
        && !(1..=i64::from(i32::MAX)).contains(&ads)
    {
        e.push(invalid_int(
            &c(p, "activeDeadlineSeconds"),
            ads,
            &inclusive_range_error(1, i64::from(i32::MAX)),
        ));
    }
    for key in ["hostname", "subdomain"] {
        let v = st(spec, key);
        if !v.is_empty() {
            dns_label(&c(p, key), v, e);
        }
    }
    tolerations(spec, &c(p, "tolerations"), e);
    for (i, ha) in arr(spec, "hostAliases").iter().enumerate() {
        let hp = ix(&c(p, "hostAliases"), i);
        validate_ip(&c(&hp, "ip"), st(ha, "ip"), e);
        for (j, h) in arr(ha, "hostnames").iter().enumerate() {
            dns_subdomain(
                &ix(&c(&hp, "hostnames"), j),
                h.as_str().unwrap_or_default(),
                e,
            );
        }
    }
    let pcn = st(spec, "priorityClassName");
    if !pcn.is_empty() {
        dns_subdomain(&c(p, "priorityClassName"), pcn, e);
    }
    if let Some(rc) = opt_str(spec, "runtimeClassName") {
        dns_subdomain(&c(p, "runtimeClassName"), rc, e);
    }
    if let Some(pp) = opt_str(spec, "preemptionPolicy") {
        match pp {
            "PreemptLowerPriority" | "Never" => {}
            "" => e.push(required(&c(p, "preemptionPolicy"), "")),
            other => e.push(not_supported(
                &c(p, "preemptionPolicy"),
                other,
                &["PreemptLowerPriority", "Never"],
            )),
        }
    }
    if let Some(os) = get(spec, "os") {
        let name = st(os, "name");
        if name.is_empty() {
            e.push(required(&c(&c(p, "os"), "name"), ""));
        } else if !matches!(name, "linux" | "windows") {
            e.push(not_supported(
                &c(&c(p, "os"), "name"),
                name,
                &["linux", "windows"],
            ));
        }
    }
}

/// `ValidatePodTemplateSpec`: the template's labels and annotations (reported at
/// `<path>.labels`, as kube does) and its PodSpec; ephemeral containers are not allowed.
fn pod_template_spec(t: &Value, p: &str, ctx: &PodCtx, e: &mut Errs) {
    if let Some(m) = get(t, "metadata") {
        if let Some(l) = m.get("labels") {
            e.extend(validate_labels(l, &c(p, "labels")));
        }
        if let Some(a) = m.get("annotations") {
            e.extend(validate_annotations(a, &c(p, "annotations")));
        }
    }
    let spec = sub(t, "spec");
    pod_spec(spec, &c(p, "spec"), ctx, e);
    if !arr(spec, "ephemeralContainers").is_empty() {
        e.push(forbidden(
            &c(p, "spec.ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
}

fn template_labels(t: &Value) -> Option<&Value> {
    get(sub(t, "metadata"), "labels")
}

/// Whether `selector` (already known to parse) matches the template's labels; kube skips the
/// check for the empty selector.
fn selector_mismatch(selector: &LabelSelector, template: &Value) -> bool {
    if selector.is_empty() {
        return false;
    }
    let labels = template_labels(template).and_then(Value::as_object);
    !selector.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str))
}

fn selector_mismatch_error(template_path: &str, template: &Value) -> FieldError {
    invalid_raw(
        &c(template_path, "metadata.labels"),
        go_string_map(template_labels(template)),
        "`selector` does not match template `labels`",
    )
}

// ---------------------------------------------------------------------------------------------
// core/v1.

const UPDATABLE_POD_FIELDS: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

fn pod(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let ctx = PodCtx {
        is_pod: true,
        ..PodCtx::default()
    };
    let spec = sub(obj, "spec");
    pod_spec(spec, "spec", &ctx, e);
    if st(spec, "serviceAccountName").is_empty() {
        for (vi, vol) in arr(spec, "volumes").iter().enumerate() {
            let Some(proj) = get(vol, "projected") else {
                continue;
            };
            for (si, source) in arr(proj, "sources").iter().enumerate() {
                if get(source, "serviceAccountToken").is_some() {
                    e.push(forbidden(
                        &format!("spec.volumes[{vi}].projected.sources[{si}].serviceAccountToken"),
                        "must not be specified when serviceAccountName is not set",
                    ));
                }
            }
        }
    }
    match old {
        None => {
            if !arr(spec, "ephemeralContainers").is_empty() {
                e.push(forbidden(
                    "spec.ephemeralContainers",
                    "cannot be set on create",
                ));
            }
            if !st(spec, "nodeName").is_empty() && !arr(spec, "schedulingGates").is_empty() {
                e.push(forbidden(
                    "spec.nodeName",
                    "cannot be set until all schedulingGates have been cleared",
                ));
            }
        }
        Some(old) => pod_update(spec, sub(old, "spec"), e),
    }
}

/// `ValidatePodUpdate`: only images, `activeDeadlineSeconds` (down), tolerations (additions)
/// and scheduling gates (removals) may change.
fn pod_update(new: &Value, old: &Value, e: &mut Errs) {
    for key in ["containers", "initContainers"] {
        let (n, o) = (arr(new, key), arr(old, key));
        let kp = c("spec", key);
        if n.len() != o.len() {
            e.push(forbidden(
                &kp,
                "pod updates may not add or remove containers",
            ));
            return;
        }
        for (i, ctr) in n.iter().enumerate() {
            let image = st(ctr, "image");
            if image.is_empty() {
                e.push(required(&c(&ix(&kp, i), "image"), ""));
            }
            if image.trim().len() != image.len() {
                e.push(invalid(
                    &c(&ix(&kp, i), "image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
    let max = i64::from(i32::MAX);
    match (
        int(new, "activeDeadlineSeconds"),
        int(old, "activeDeadlineSeconds"),
    ) {
        (Some(n), _) if !(0..=max).contains(&n) => {
            e.push(invalid_int(
                "spec.activeDeadlineSeconds",
                n,
                &inclusive_range_error(0, max),
            ));
            return;
        }
        (Some(n), Some(o)) if o < n => {
            e.push(invalid_int(
                "spec.activeDeadlineSeconds",
                n,
                "must be less than or equal to previous value",
            ));
            return;
        }
        (None, Some(_)) => e.push(invalid(
            "spec.activeDeadlineSeconds",
            "null",
            "must not update from a positive integer to nil value",
        )),
        _ => {}
    }
    // Tolerations may only be added (an existing one may change its tolerationSeconds).
    let strip = |t: &Value| {
        let mut t = t.clone();
        if let Some(m) = t.as_object_mut() {
            m.remove("tolerationSeconds");
        }
        normalized(&t)
    };
    let new_tols: Vec<Option<Value>> = arr(new, "tolerations").iter().map(strip).collect();
    if arr(old, "tolerations")
        .iter()
        .any(|t| !new_tols.contains(&strip(t)))
    {
        e.push(forbidden(
            "spec.tolerations",
            "existing toleration can not be modified except its tolerationSeconds",
        ));
    }
    let old_gates: HashSet<&str> = arr(old, "schedulingGates")
        .iter()
        .map(|g| st(g, "name"))
        .collect();
    for (i, g) in arr(new, "schedulingGates").iter().enumerate() {
        let name = st(g, "name");
        if !old_gates.contains(name) {
            e.push(forbidden(
                &format!("spec.schedulingGates[{i}].name"),
                &format!("only deletion is allowed, but found new scheduling gate '{name}'"),
            ));
        }
    }
    let mut munged = new.clone();
    if let Some(m) = munged.as_object_mut() {
        for key in ["containers", "initContainers"] {
            if let Some(list) = m.get_mut(key).and_then(Value::as_array_mut) {
                for (i, ctr) in list.iter_mut().enumerate() {
                    let old_image = arr(old, key).get(i).and_then(|o| o.get("image")).cloned();
                    if let Some(cm) = ctr.as_object_mut() {
                        match old_image {
                            Some(img) => cm.insert("image".to_owned(), img),
                            None => cm.remove("image"),
                        };
                    }
                }
            }
        }
        for key in ["activeDeadlineSeconds", "schedulingGates", "tolerations"] {
            match old.get(key) {
                Some(v) => m.insert(key.to_owned(), v.clone()),
                None => m.remove(key),
            };
        }
        let old_grace = int(old, "terminationGracePeriodSeconds");
        if old_grace.is_some_and(|g| g < 0) && int(new, "terminationGracePeriodSeconds") == Some(1)
        {
            m.insert(
                "terminationGracePeriodSeconds".to_owned(),
                old.get("terminationGracePeriodSeconds")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
        }
        // A gated pod may also gain node selectors and node affinity.
        if !arr(old, "schedulingGates").is_empty() {
            match old.get("nodeSelector") {
                Some(v) => m.insert("nodeSelector".to_owned(), v.clone()),
                None => m.remove("nodeSelector"),
            };
            let old_na = old
                .get("affinity")
                .and_then(|a| a.get("nodeAffinity"))
                .cloned();
            if let Some(aff) = m.get_mut("affinity").and_then(Value::as_object_mut) {
                match old_na {
                    Some(na) => aff.insert("nodeAffinity".to_owned(), na),
                    None => aff.remove("nodeAffinity"),
                };
            }
        }
    }
    if !sem_eq(Some(&munged), Some(old)) {
        e.push(forbidden(
            "spec",
            &format!("pod updates may not change fields other than {UPDATABLE_POD_FIELDS}"),
        ));
    }
}

fn pod_template_kind(obj: &Value, e: &mut Errs) {
    pod_template_spec(sub(obj, "template"), "template", &PodCtx::default(), e);
}

fn replication_controller(obj: &Value, e: &mut Errs) {
    let spec = sub(obj, "spec");
    nonneg(spec, "minReadySeconds", "spec", e);
    let selector = obj_of(spec, "selector").filter(|s| !s.is_empty());
    if selector.is_none() {
        e.push(required("spec.selector", ""));
    }
    nonneg(spec, "replicas", "spec", e);
    let Some(template) = get(spec, "template") else {
        e.push(required("spec.template", ""));
        return;
    };
    if let Some(sel) = selector {
        let labels = template_labels(template).and_then(Value::as_object);
        let matches = sel
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
        if !matches {
            e.push(selector_mismatch_error("spec.template", template));
        }
    }
    pod_template_spec(template, "spec.template", &PodCtx::default(), e);
    controller_template_rules(template, "spec.template", "ReplicationController", e);
}

/// What every replica controller requires of its pods: restart always, no deadline.
fn controller_template_rules(template: &Value, p: &str, kind: &str, e: &mut Errs) {
    let spec = sub(template, "spec");
    let rp = st(spec, "restartPolicy");
    if rp != "Always" {
        e.push(not_supported(&c(p, "spec.restartPolicy"), rp, &["Always"]));
    }
    if get(spec, "activeDeadlineSeconds").is_some() {
        e.push(forbidden(
            &c(p, "spec.activeDeadlineSeconds"),
            &format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
}

const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const NODE_PORT_RANGE: std::ops::RangeInclusive<i64> = 30000..=32767;

fn needs_node_ports(ty: &str) -> bool {
    matches!(ty, "NodePort" | "LoadBalancer")
}

fn cluster_ips(spec: &Value) -> Vec<&str> {
    let list = str_list(spec, "clusterIPs");
    if !list.is_empty() {
        return list;
    }
    match st(spec, "clusterIP") {
        "" => Vec::new(),
        ip => vec![ip],
    }
}

/// How kube prints a `core.ServicePort` key of the duplicate-port check.
fn go_service_port_key(protocol: &str, port: i64) -> String {
    format!(
        "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
        go_quote(protocol)
    )
}

fn service(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    let old_spec = old.map(|o| sub(o, "spec"));
    let ty = st(spec, "type");
    let ips = cluster_ips(spec);
    let headless = ips.first() == Some(&"None");
    // On update kube's strategy drops type-dependent fields the client left as they were; so
    // an unchanged value is no error here.
    let unchanged = |k: &str| old_spec.is_some_and(|os| sem_eq(get(spec, k), get(os, k)));
    let ports = arr(spec, "ports");

    if ports.is_empty() && !headless && ty != "ExternalName" {
        e.push(required("spec.ports", ""));
    }
    match ty {
        "LoadBalancer" | "NodePort" if headless => e.push(invalid(
            "spec.clusterIPs[0]",
            "None",
            &format!("may not be set to 'None' for {ty} services"),
        )),
        "ExternalName" => {
            let ips_unchanged = old_spec.is_some_and(|os| cluster_ips(os) == ips);
            if !ips.is_empty() && !ips_unchanged {
                e.push(forbidden(
                    "spec.clusterIPs",
                    "may not be set for ExternalName services",
                ));
            }
            if !arr(spec, "ipFamilies").is_empty() && !unchanged("ipFamilies") {
                e.push(forbidden(
                    "spec.ipFamilies",
                    "may not be set for ExternalName services",
                ));
            }
            if get(spec, "ipFamilyPolicy").is_some() && !unchanged("ipFamilyPolicy") {
                e.push(forbidden(
                    "spec.ipFamilyPolicy",
                    "may not be set for ExternalName services",
                ));
            }
            let name = st(spec, "externalName");
            let cname = name.strip_suffix('.').unwrap_or(name);
            if cname.is_empty() {
                e.push(required("spec.externalName", ""));
            } else {
                dns_subdomain("spec.externalName", cname, e);
            }
        }
        _ => {}
    }

    let mut names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let pp = ix("spec.ports", i);
        let name = st(port, "name");
        if ports.len() > 1 && name.is_empty() {
            e.push(required(&c(&pp, "name"), ""));
        } else if !name.is_empty() {
            dns_label(&c(&pp, "name"), name, e);
            if !names.insert(name) {
                e.push(duplicate(&c(&pp, "name"), name));
            }
        }
        let n = int(port, "port").unwrap_or(0);
        for msg in is_valid_port_num(n) {
            e.push(invalid_int(&c(&pp, "port"), n, &msg));
        }
        protocol(port, &pp, e);
        port_num_or_name(&c(&pp, "targetPort"), get(port, "targetPort"), e);
        if let Some(ap) = opt_str(port, "appProtocol") {
            qualified_name(&c(&pp, "appProtocol"), ap, e);
        }
    }

    if let Some(sel) = spec.get("selector") {
        e.extend(validate_labels(sel, "spec.selector"));
    }
    let affinity = st(spec, "sessionAffinity");
    match affinity {
        "" => e.push(required("spec.sessionAffinity", "")),
        "ClientIP" => {
            let detail = "when session affinity type is ClientIP";
            match get(spec, "sessionAffinityConfig") {
                None => e.push(required("spec.sessionAffinityConfig", detail)),
                Some(cfg) => match get(cfg, "clientIP") {
                    None => e.push(required("spec.sessionAffinityConfig.clientIP", detail)),
                    Some(cip) => match int(cip, "timeoutSeconds") {
                        None => e.push(required(
                            "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                            detail,
                        )),
                        Some(t) if !(1..=86400).contains(&t) => e.push(invalid_int(
                            "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                            t,
                            "must be greater than 0 and less than 86400",
                        )),
                        Some(_) => {}
                    },
                },
            }
        }
        "None" => {
            if get(spec, "sessionAffinityConfig").is_some() {
                e.push(forbidden(
                    "spec.sessionAffinityConfig",
                    "must not be set when session affinity is None",
                ));
            }
        }
        other => e.push(not_supported(
            "spec.sessionAffinity",
            other,
            &["ClientIP", "None"],
        )),
    }

    if ty != "ExternalName" {
        for (i, ip) in ips.iter().enumerate() {
            if i == 0 && *ip == "None" {
                continue;
            }
            validate_ip(&ix("spec.clusterIPs", i), ip, e);
        }
        if let Some(policy) = opt_str(spec, "ipFamilyPolicy")
            && !matches!(
                policy,
                "SingleStack" | "PreferDualStack" | "RequireDualStack"
            )
        {
            e.push(not_supported(
                "spec.ipFamilyPolicy",
                policy,
                &["PreferDualStack", "RequireDualStack", "SingleStack"],
            ));
        }
        let mut families = HashSet::new();
        for (i, fam) in str_list(spec, "ipFamilies").iter().enumerate() {
            let fp = ix("spec.ipFamilies", i);
            if !matches!(*fam, "IPv4" | "IPv6") {
                e.push(not_supported(&fp, fam, &["IPv4", "IPv6"]));
            } else if !families.insert(*fam) {
                e.push(duplicate(&fp, fam));
            }
        }
    }
    for (i, ip) in str_list(spec, "externalIPs").iter().enumerate() {
        validate_ip(&ix("spec.externalIPs", i), ip, e);
    }
    match ty {
        "" => e.push(required("spec.type", "")),
        t if !SERVICE_TYPES.contains(&t) => e.push(not_supported("spec.type", t, SERVICE_TYPES)),
        _ => {}
    }

    let old_node_ports: HashSet<i64> = old_spec
        .map(|os| {
            arr(os, "ports")
                .iter()
                .filter_map(|p| int(p, "nodePort"))
                .collect()
        })
        .unwrap_or_default();
    let old_needed = old_spec.is_some_and(|os| needs_node_ports(st(os, "type")));
    let mut node_ports = HashSet::new();
    let mut port_keys = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let pp = ix("spec.ports", i);
        let np = int(port, "nodePort").unwrap_or(0);
        if np != 0 {
            let carried = old_needed && old_node_ports.contains(&np);
            if ty == "ClusterIP" && !carried {
                e.push(forbidden(
                    &c(&pp, "nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
            if needs_node_ports(ty)
                && !NODE_PORT_RANGE.contains(&np)
                && !old_node_ports.contains(&np)
            {
                e.push(invalid_int(
                    &c(&pp, "nodePort"),
                    np,
                    "provided port is not in the valid range. The range of valid ports is 30000-32767",
                ));
            }
            if !node_ports.insert((st(port, "protocol"), np)) {
                e.push(duplicate_raw(&c(&pp, "nodePort"), np.to_string()));
            }
        }
        let key = (st(port, "protocol"), int(port, "port").unwrap_or(0));
        if !port_keys.insert(key) {
            e.push(duplicate_raw(&pp, go_service_port_key(key.0, key.1)));
        }
    }

    let ranges = str_list(spec, "loadBalancerSourceRanges");
    if !ranges.is_empty() {
        if ty != "LoadBalancer" && !unchanged("loadBalancerSourceRanges") {
            e.push(forbidden(
                "spec.LoadBalancerSourceRanges",
                "may only be used when `type` is 'LoadBalancer'",
            ));
        }
        for (i, r) in ranges.iter().enumerate() {
            validate_cidr(&ix("spec.LoadBalancerSourceRanges", i), r.trim(), e);
        }
    }
    let alloc = get(spec, "allocateLoadBalancerNodePorts");
    if alloc.is_some() && ty != "LoadBalancer" && !unchanged("allocateLoadBalancerNodePorts") {
        e.push(forbidden(
            "spec.allocateLoadBalancerNodePorts",
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if ty == "LoadBalancer" && alloc.is_none() {
        e.push(required("allocateLoadBalancerNodePorts", ""));
    }
    if let Some(class) = opt_str(spec, "loadBalancerClass") {
        if ty != "LoadBalancer" && !unchanged("loadBalancerClass") {
            e.push(forbidden(
                "spec.loadBalancerClass",
                "may only be used when service type is 'LoadBalancer'",
            ));
        }
        qualified_name("spec.loadBalancerClass", class, e);
    }

    let externally_accessible = matches!(ty, "LoadBalancer" | "NodePort")
        || (ty == "ClusterIP" && !arr(spec, "externalIPs").is_empty());
    let etp = st(spec, "externalTrafficPolicy");
    if !externally_accessible {
        if !etp.is_empty() && !unchanged("externalTrafficPolicy") {
            e.push(invalid(
                "spec.externalTrafficPolicy",
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        e.push(required("spec.externalTrafficPolicy", ""));
    } else if !matches!(etp, "Cluster" | "Local") {
        e.push(not_supported(
            "spec.externalTrafficPolicy",
            etp,
            &["Cluster", "Local"],
        ));
    }
    let hcnp = int(spec, "healthCheckNodePort").unwrap_or(0);
    let needs_health_check = ty == "LoadBalancer" && etp == "Local";
    if !needs_health_check && hcnp != 0 && !unchanged("healthCheckNodePort") {
        e.push(invalid_int(
            "spec.healthCheckNodePort",
            hcnp,
            "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ));
    } else if needs_health_check && hcnp != 0 {
        for msg in is_valid_port_num(hcnp) {
            e.push(invalid_int("spec.healthCheckNodePort", hcnp, &msg));
        }
    }
    match opt_str(spec, "internalTrafficPolicy") {
        None if matches!(ty, "NodePort" | "LoadBalancer" | "ClusterIP") => {
            e.push(required("spec.internalTrafficPolicy", ""));
        }
        Some(itp) if !matches!(itp, "Cluster" | "Local") => e.push(not_supported(
            "spec.internalTrafficPolicy",
            itp,
            &["Cluster", "Local"],
        )),
        _ => {}
    }
    if let Some(td) = opt_str(spec, "trafficDistribution")
        && td != "PreferClose"
    {
        e.push(not_supported(
            "spec.trafficDistribution",
            td,
            &["PreferClose"],
        ));
    }

    if let Some(os) = old_spec {
        let old_ty = st(os, "type");
        let old_ips = cluster_ips(os);
        let both_headless = headless && old_ips.first() == Some(&"None");
        if ty != "ExternalName" && old_ty != "ExternalName" && !both_headless {
            let (new_ip, old_ip) = (
                ips.first().copied().unwrap_or(""),
                old_ips.first().copied().unwrap_or(""),
            );
            if !new_ip.is_empty() && !old_ip.is_empty() && new_ip != old_ip {
                e.push(FieldError::invalid_strings(
                    "spec.clusterIPs[0]",
                    &ips,
                    "may not change once set",
                ));
            }
        }
    }
}

const MAX_CONFIG_SIZE: usize = 1024 * 1024;
const IMMUTABLE_WHEN_SET: &str = "field is immutable when `immutable` is set";

fn config_map(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    if let Some(old) = old
        && is_true(old, "immutable")
    {
        if !is_true(obj, "immutable") {
            e.push(forbidden("immutable", IMMUTABLE_WHEN_SET));
        }
        for key in ["data", "binaryData"] {
            if !sem_eq(get(obj, key), get(old, key)) {
                e.push(forbidden(key, IMMUTABLE_WHEN_SET));
            }
        }
    }
    let binary = obj_of(obj, "binaryData");
    let mut total = 0usize;
    if let Some(data) = obj_of(obj, "data") {
        for (k, v) in data {
            for msg in is_config_map_key(k) {
                e.push(invalid(&ky("data", k), k, &msg));
            }
            if binary.is_some_and(|b| b.contains_key(k)) {
                e.push(invalid(
                    &ky("data", k),
                    k,
                    "duplicate of key present in binaryData",
                ));
            }
            total = total.saturating_add(v.as_str().map_or(0, str::len));
        }
    }
    if let Some(b) = binary {
        for (k, v) in b {
            for msg in is_config_map_key(k) {
                e.push(invalid(&ky("binaryData", k), k, &msg));
            }
            total = total.saturating_add(bytes_len(v));
        }
    }
    if total > MAX_CONFIG_SIZE {
        e.push(FieldError::too_long("", MAX_CONFIG_SIZE));
    }
}

/// A Secret's data with `stringData` folded in, as kube sees it after decoding.
fn secret_data(obj: &Value) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Some(data) = obj_of(obj, "data") {
        for (k, v) in data {
            let s = v.as_str().unwrap_or_default();
            out.insert(
                k.clone(),
                base64_decode(s).unwrap_or_else(|| s.as_bytes().to_vec()),
            );
        }
    }
    if let Some(data) = obj_of(obj, "stringData") {
        for (k, v) in data {
            out.insert(
                k.clone(),
                v.as_str().unwrap_or_default().as_bytes().to_vec(),
            );
        }
    }
    out
}

/// The error `json.Unmarshal` into a `map[string]interface{}` gives, if any.
fn json_map_error(bytes: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(bytes) {
        Err(err) => Some(err.to_string()),
        Ok(Value::Object(_) | Value::Null) => None,
        Ok(other) => {
            let ty = match other {
                Value::Array(_) => "array",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                _ => "bool",
            };
            Some(format!(
                "json: cannot unmarshal {ty} into Go value of type map[string]interface {{}}"
            ))
        }
    }
}

fn secret(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let data = secret_data(obj);
    if let Some(old) = old {
        if st(obj, "type") != st(old, "type") {
            e.push(immutable("type", get(obj, "type")));
        }
        if is_true(old, "immutable") {
            if !is_true(obj, "immutable") {
                e.push(forbidden("immutable", IMMUTABLE_WHEN_SET));
            }
            if data != secret_data(old) {
                e.push(forbidden("data", IMMUTABLE_WHEN_SET));
            }
        }
    }
    let mut total = 0usize;
    for (k, v) in &data {
        for msg in is_config_map_key(k) {
            e.push(invalid(&ky("data", k), k, &msg));
        }
        total = total.saturating_add(v.len());
    }
    if total > MAX_CONFIG_SIZE {
        e.push(FieldError::too_long("data", MAX_CONFIG_SIZE));
    }
    let need = |key: &str, e: &mut Errs| -> Option<&Vec<u8>> {
        let found = data.get(key);
        if found.is_none() {
            e.push(required(&ky("data", key), ""));
        }
        found
    };
    match st(obj, "type") {
        "kubernetes.io/service-account-token" => {
            let annotations = sub(sub(obj, "metadata"), "annotations");
            if st(annotations, "kubernetes.io/service-account.name").is_empty() {
                e.push(required(
                    "metadata.annotations[kubernetes.io/service-account.name]",
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" | "kubernetes.io/dockerconfigjson" => {
            let key = if st(obj, "type") == "kubernetes.io/dockercfg" {
                ".dockercfg"
            } else {
                ".dockerconfigjson"
            };
            if let Some(bytes) = need(key, e)
                && let Some(err) = json_map_error(bytes)
            {
                e.push(invalid(
                    &ky("data", key),
                    "<secret contents redacted>",
                    &err,
                ));
            }
        }
        "kubernetes.io/basic-auth"
            if !data.contains_key("username") && !data.contains_key("password") =>
        {
            e.push(required("data[username]", ""));
            e.push(required("data[password]", ""));
        }
        "kubernetes.io/ssh-auth" if data.get("ssh-privatekey").is_none_or(Vec::is_empty) => {
            e.push(required("data[ssh-privatekey]", ""));
        }
        "kubernetes.io/tls" => {
            need("tls.crt", e);
            need("tls.key", e);
        }
        _ => {}
    }
}

const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

fn namespace(obj: &Value, e: &mut Errs) {
    for f in str_list(sub(obj, "spec"), "finalizers") {
        qualified_name("spec.finalizers", f, e);
        if !f.contains('/') && !STANDARD_FINALIZERS.contains(&f) {
            e.push(invalid(
                "spec.finalizers",
                f,
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
}

fn go_taint(t: &Value) -> String {
    let time_added = match get(t, "timeAdded") {
        None => "(*v1.Time)(nil)".to_owned(),
        Some(v) => render_value(v),
    };
    format!(
        "core.Taint{{Key:{}, Value:{}, Effect:{}, TimeAdded:{time_added}}}",
        go_quote(st(t, "key")),
        go_quote(st(t, "value")),
        go_quote(st(t, "effect"))
    )
}

fn node(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    // kube validates a Node's taints under `metadata.taints`.
    let mut seen = HashSet::new();
    for (i, t) in arr(spec, "taints").iter().enumerate() {
        let tp = ix("metadata.taints", i);
        qualified_name(&c(&tp, "key"), st(t, "key"), e);
        let value = st(t, "value");
        let msgs = is_valid_label_value(value);
        if !msgs.is_empty() {
            e.push(invalid(&c(&tp, "value"), value, &msgs.join(";")));
        }
        let effect = st(t, "effect");
        if effect.is_empty() {
            e.push(required(&c(&tp, "effect"), ""));
        } else if !TAINT_EFFECTS.contains(&effect) {
            e.push(not_supported(&c(&tp, "effect"), effect, TAINT_EFFECTS));
        }
        if !seen.insert((effect, st(t, "key"))) {
            e.push(raw(
                &tp,
                FieldErrorKind::Duplicate,
                Some(go_taint(t)),
                "taints must be unique by key and effect pair",
            ));
        }
    }
    let cidrs = node_pod_cidrs(spec);
    let mut seen = HashSet::new();
    for (i, cidr) in cidrs.iter().enumerate() {
        validate_cidr(&ix("spec.podCIDRs", i), cidr, e);
        if cidrs.len() > 1 && !seen.insert(*cidr) {
            e.push(duplicate(&ix("spec.podCIDRs", i), cidr));
        }
    }
    if cidrs.len() > 2 {
        e.push(FieldError::invalid_strings(
            "spec.podCIDRs",
            &cidrs,
            "may specify no more than one CIDR for each IP family",
        ));
    }
    let status = sub(obj, "status");
    for key in ["capacity", "allocatable"] {
        if let Some(m) = obj_of(status, key) {
            for (name, q) in m {
                let fp = format!("status.{key}.{name}");
                if let Some(q) = quantity_at(&fp, q, e) {
                    resource_quantity_value(&fp, name, q, e);
                }
            }
        }
    }
    if let Some(old) = old {
        let os = sub(old, "spec");
        let old_cidrs = node_pod_cidrs(os);
        if !old_cidrs.is_empty() && old_cidrs != cidrs {
            e.push(forbidden(
                "spec.podCIDRs",
                "node updates may not change podCIDR except from \"\" to valid",
            ));
        }
        let old_pid = st(os, "providerID");
        if !old_pid.is_empty() && old_pid != st(spec, "providerID") {
            e.push(forbidden(
                "spec.providerID",
                "node updates may not change providerID except from \"\" to valid",
            ));
        }
        if st(os, "externalID") != st(spec, "externalID") {
            e.push(forbidden("spec.externalID", "may not be updated"));
        }
    }
}

/// `podCIDRs`, or `[podCIDR]` for a client that only set the singular field.
fn node_pod_cidrs(spec: &Value) -> Vec<&str> {
    let list = str_list(spec, "podCIDRs");
    if !list.is_empty() {
        return list;
    }
    match st(spec, "podCIDR") {
        "" => Vec::new(),
        cidr => vec![cidr],
    }
}

const ACCESS_MODES: &[&str] = &[
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];

/// `ValidatePersistentVolumeClaimSpec`.
fn pvc_spec(spec: &Value, p: &str, e: &mut Errs) {
    let modes = arr(spec, "accessModes");
    if modes.is_empty() {
        e.push(required(
            &c(p, "accessModes"),
            "at least 1 access mode is required",
        ));
    }
    if let Some(sel) = get(spec, "selector") {
        e.extend(validate_label_selector(sel, &c(p, "selector")));
    }
    let (mut rwop, mut other) = (false, false);
    for m in modes {
        let mode = m.as_str().unwrap_or_default();
        if !ACCESS_MODES.contains(&mode) {
            e.push(not_supported_v(&c(p, "accessModes"), m, ACCESS_MODES));
        } else if mode == "ReadWriteOncePod" {
            rwop = true;
        } else {
            other = true;
        }
    }
    if rwop && other {
        e.push(forbidden(
            &c(p, "accessModes"),
            "may not use ReadWriteOncePod with other access modes",
        ));
    }
    let sp = ky(&c(p, "resources"), "storage");
    match get(sub(sub(spec, "resources"), "requests"), "storage") {
        None => e.push(required(&sp, "")),
        Some(v) => {
            if let Some(q) = quantity_at(&sp, v, e) {
                if q.nanos() <= 0 {
                    e.push(invalid(&sp, &q.to_string(), NOT_POSITIVE));
                } else {
                    resource_quantity_value(&sp, "storage", q, e);
                }
            }
        }
    }
    let class = st(spec, "storageClassName");
    if !class.is_empty() {
        dns_subdomain(&c(p, "storageClassName"), class, e);
    }
    if let Some(mode) = opt_str(spec, "volumeMode")
        && !matches!(mode, "Block" | "Filesystem")
    {
        e.push(not_supported(
            &c(p, "volumeMode"),
            mode,
            &["Block", "Filesystem"],
        ));
    }
    for key in ["dataSource", "dataSourceRef"] {
        let Some(ds) = get(spec, key) else {
            continue;
        };
        let dp = c(p, key);
        if st(ds, "name").is_empty() {
            e.push(required(&c(&dp, "name"), ""));
        }
        let kind = st(ds, "kind");
        if kind.is_empty() {
            e.push(required(&c(&dp, "kind"), ""));
        }
        let group = st(ds, "apiGroup");
        if group.is_empty() && kind != "PersistentVolumeClaim" {
            e.push(invalid(
                &dp,
                kind,
                "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
            ));
        } else if !group.is_empty() {
            dns_subdomain(&c(&dp, "apiGroup"), group, e);
        }
        let ns = st(ds, "namespace");
        if key == "dataSourceRef" && !ns.is_empty() {
            dns_label(&c(&dp, "namespace"), ns, e);
        }
    }
}

fn pvc(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    pvc_spec(spec, "spec", e);
    let Some(old) = old else {
        return;
    };
    let os = sub(old, "spec");
    let status = get(obj, "status").unwrap_or_else(|| sub(old, "status"));
    let mut munged = spec.clone();
    if let Some(m) = munged.as_object_mut() {
        let mut keep_old = |key: &str| {
            match os.get(key) {
                Some(v) => m.insert(key.to_owned(), v.clone()),
                None => m.remove(key),
            };
        };
        // volumeName may be set once; a nil storageClassName may be set.
        if st(os, "volumeName").is_empty() {
            keep_old("volumeName");
        }
        if get(os, "storageClassName").is_none() {
            keep_old("storageClassName");
        }
        if st(status, "phase") == "Bound" {
            keep_old("volumeAttributesClassName");
            let old_storage = os.pointer("/resources/requests/storage").cloned();
            if let Some(req) = m
                .get_mut("resources")
                .and_then(|r| r.get_mut("requests"))
                .and_then(Value::as_object_mut)
            {
                match old_storage {
                    Some(s) => req.insert("storage".to_owned(), s),
                    None => req.remove("storage"),
                };
            }
        }
    }
    if !sem_eq(Some(&munged), Some(os)) {
        e.push(forbidden(
            "spec",
            "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
        ));
    }
    let size = |s: &Value| {
        s.pointer("/resources/requests/storage")
            .and_then(|q| Quantity::from_json(q).ok())
    };
    if let (Some(new_size), Some(old_size)) = (size(spec), size(os))
        && new_size < old_size
    {
        let status_size = old
            .pointer("/status/capacity/storage")
            .and_then(|q| Quantity::from_json(q).ok())
            .map_or(0, Quantity::nanos);
        if new_size.nanos() <= status_size {
            e.push(forbidden(
                "spec.resources.requests.storage",
                "field can not be less than status.capacity",
            ));
        }
    }
    if st(spec, "volumeMode") != st(os, "volumeMode") {
        e.push(immutable("volumeMode", get(spec, "volumeMode")));
    }
}

const QUOTA_SCOPES: &[&str] = &[
    "BestEffort",
    "CrossNamespacePodAffinity",
    "NotBestEffort",
    "NotTerminating",
    "PriorityClass",
    "Terminating",
    "VolumeAttributesClass",
];

fn go_scopes(scopes: &[&str]) -> String {
    let quoted: Vec<String> = scopes.iter().map(|s| go_quote(s)).collect();
    format!("[]core.ResourceQuotaScope{{{}}}", quoted.join(", "))
}

fn quota_resources(list: Option<&Obj>, p: &str, e: &mut Errs) {
    for (name, q) in list.into_iter().flatten() {
        let fp = ky(p, name);
        resource_name(&fp, name, e);
        if !name.contains('/')
            && !STANDARD_QUOTA_RESOURCES.contains(&name.as_str())
            && !name.starts_with("requests.hugepages-")
        {
            e.push(invalid(&fp, name, "must be a standard resource for quota"));
        }
        if let Some(q) = quantity_at(&fp, q, e) {
            resource_quantity_value(&fp, name, q, e);
        }
    }
}

fn conflicting_scopes(scopes: &HashSet<&str>) -> bool {
    (scopes.contains("BestEffort") && scopes.contains("NotBestEffort"))
        || (scopes.contains("Terminating") && scopes.contains("NotTerminating"))
}

fn resource_quota(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    quota_resources(obj_of(spec, "hard"), "spec.hard", e);
    let scopes = str_list(spec, "scopes");
    let set: HashSet<&str> = scopes.iter().copied().collect();
    for s in &scopes {
        if !QUOTA_SCOPES.contains(s) {
            e.push(invalid_raw(
                "spec.scopes",
                go_scopes(&scopes),
                "unsupported scope",
            ));
        }
    }
    if conflicting_scopes(&set) {
        e.push(invalid_raw(
            "spec.scopes",
            go_scopes(&scopes),
            "conflicting scopes",
        ));
    }
    if let Some(sel) = get(spec, "scopeSelector") {
        let p = "spec.scopeSelector.matchExpressions";
        let mut names = HashSet::new();
        for req in arr(sel, "matchExpressions") {
            let scope = st(req, "scopeName");
            names.insert(scope);
            if !QUOTA_SCOPES.contains(&scope) {
                e.push(invalid(&c(p, "scopeName"), scope, "unsupported scope"));
            }
            let op = st(req, "operator");
            if matches!(
                scope,
                "BestEffort"
                    | "NotBestEffort"
                    | "Terminating"
                    | "NotTerminating"
                    | "CrossNamespacePodAffinity"
            ) && op != "Exists"
            {
                e.push(invalid(
                    &c(p, "operator"),
                    op,
                    "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
                ));
            }
            let values = arr(req, "values");
            match op {
                "In" | "NotIn" => {
                    if values.is_empty() {
                        e.push(required(
                            &c(p, "values"),
                            "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
                        ));
                    }
                }
                "Exists" | "DoesNotExist" => {
                    if !values.is_empty() {
                        e.push(invalid_raw(
                            &c(p, "values"),
                            go_strings(req.get("values")),
                            "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
                        ));
                    }
                }
                other => e.push(invalid(
                    &c(p, "operator"),
                    other,
                    "not a valid selector operator",
                )),
            }
        }
        if conflicting_scopes(&names) {
            e.push(invalid_raw(p, go_scopes(&scopes), "conflicting scopes"));
        }
    }
    let status = sub(obj, "status");
    quota_resources(obj_of(status, "hard"), "status.hard", e);
    quota_resources(obj_of(status, "used"), "status.used", e);
    if let Some(old) = old {
        let old_set: HashSet<&str> = str_list(sub(old, "spec"), "scopes").into_iter().collect();
        if old_set != set {
            e.push(invalid_raw("spec.scopes", go_scopes(&scopes), IMMUTABLE));
        }
    }
}

fn limit_range(obj: &Value, e: &mut Errs) {
    let mut types = HashSet::new();
    for (i, limit) in arr(sub(obj, "spec"), "limits").iter().enumerate() {
        let lp = ix("spec.limits", i);
        let ty = st(limit, "type");
        let before = e.len();
        qualified_name(&c(&lp, "type"), ty, e);
        if e.len() == before
            && !ty.contains('/')
            && !matches!(ty, "Pod" | "Container" | "PersistentVolumeClaim")
        {
            e.push(invalid(
                &c(&lp, "type"),
                ty,
                "must be a standard limit type or fully qualified",
            ));
        }
        if !types.insert(ty) {
            e.push(duplicate(&c(&lp, "type"), ty));
        }
        let mut groups: BTreeMap<&str, BTreeMap<&str, Quantity>> = BTreeMap::new();
        let mut keys: Vec<&str> = Vec::new();
        for field in [
            "max",
            "min",
            "default",
            "defaultRequest",
            "maxLimitRequestRatio",
        ] {
            let Some(m) = obj_of(limit, field) else {
                continue;
            };
            if ty == "Pod" && matches!(field, "default" | "defaultRequest") {
                if !m.is_empty() {
                    e.push(forbidden(
                        &c(&lp, field),
                        "may not be specified when `type` is 'Pod'",
                    ));
                }
                continue;
            }
            for (name, q) in m {
                let fp = ky(&c(&lp, field), name);
                if matches!(ty, "Pod" | "Container") {
                    container_resource_name(&fp, name, e);
                } else {
                    resource_name(&fp, name, e);
                }
                if !keys.contains(&name.as_str()) {
                    keys.push(name);
                }
                if let Some(q) = quantity_at(&fp, q, e) {
                    groups.entry(field).or_default().insert(name, q);
                }
            }
        }
        if ty == "PersistentVolumeClaim" {
            let has = |f: &str| obj_of(limit, f).is_some_and(|m| m.contains_key("storage"));
            if !has("min") && !has("max") {
                e.push(required(
                    &c(&lp, "limits"),
                    "either minimum or maximum storage value is required, but neither was provided",
                ));
            }
        }
        for k in keys {
            let q = |f: &str| groups.get(f).and_then(|g| g.get(k)).copied();
            let (min, max, def, def_req, ratio) = (
                q("min"),
                q("max"),
                q("default"),
                q("defaultRequest"),
                q("maxLimitRequestRatio"),
            );
            let at = |f: &str| ky(&c(&lp, f), k);
            if let (Some(a), Some(b)) = (min, max)
                && a > b
            {
                e.push(invalid(
                    &at("min"),
                    &a.to_string(),
                    &format!("min value {a} is greater than max value {b}"),
                ));
            }
            if let (Some(r), Some(a)) = (def_req, min)
                && a > r
            {
                e.push(invalid(
                    &at("defaultRequest"),
                    &r.to_string(),
                    &format!("min value {a} is greater than default request value {r}"),
                ));
            }
            if let (Some(r), Some(b)) = (def_req, max)
                && r > b
            {
                e.push(invalid(
                    &at("defaultRequest"),
                    &r.to_string(),
                    &format!("default request value {r} is greater than max value {b}"),
                ));
            }
            if let (Some(r), Some(d)) = (def_req, def)
                && r > d
            {
                e.push(invalid(
                    &at("defaultRequest"),
                    &r.to_string(),
                    &format!("default request value {r} is greater than default limit value {d}"),
                ));
            }
            if let (Some(d), Some(a)) = (def, min)
                && a > d
            {
                e.push(invalid(
                    &at("default"),
                    &a.to_string(),
                    &format!("min value {a} is greater than default value {d}"),
                ));
            }
            if let (Some(d), Some(b)) = (def, max)
                && d > b
            {
                e.push(invalid(
                    &at("default"),
                    &b.to_string(),
                    &format!("default value {d} is greater than max value {b}"),
                ));
            }
            if let Some(r) = ratio
                && r < Quantity::from_units(1)
            {
                e.push(invalid(
                    &at("maxLimitRequestRatio"),
                    &r.to_string(),
                    &format!("ratio {r} is less than 1"),
                ));
            }
            if let (Some(r), Some(a), Some(b)) = (ratio, min, max)
                && a.nanos() > 0
            {
                let limit = b.nanos() as f64 / a.nanos() as f64;
                let ratio_value = r.as_f64();
                if ratio_value > limit {
                    e.push(invalid(
                        &at("maxLimitRequestRatio"),
                        &r.to_string(),
                        &format!("ratio {r} is greater than max/min = {limit:.6}"),
                    ));
                }
            }
            if !is_overcommit_allowed(k)
                && let (Some(d), Some(r)) = (def, def_req)
                && d != r
            {
                e.push(invalid(
                    &at("defaultRequest"),
                    &r.to_string(),
                    &format!("default value {d} must equal to defaultRequest value {r} in {k}"),
                ));
            }
        }
    }
}

// Events (`pkg/apis/core/validation/events.go`). The fields have one name per API; errors use
// kube's internal names, which are the core/v1 ones but for `reportingController`.

/// A field of an Event in either API's spelling.
fn event_field<'a>(obj: &'a Value, core: &str, events: &str) -> Option<&'a Value> {
    get(obj, core).or_else(|| get(obj, events))
}

fn event_str<'a>(obj: &'a Value, core: &str, events: &str) -> &'a str {
    event_field(obj, core, events)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The deprecated `source`, unless it is the one the server derives from the reporting
/// controller when it stores an events.k8s.io Event in core form.
fn event_source(obj: &Value) -> Option<&Value> {
    let src = event_field(obj, "source", "deprecatedSource")?;
    let reporter = event_str(obj, "reportingComponent", "reportingController");
    let derived = src.as_object().is_some_and(|m| {
        m.len() == 1 && m.get("component").and_then(Value::as_str) == Some(reporter)
    });
    (!derived).then_some(src)
}

fn event(obj: &Value, old: Option<&Value>, strict: bool, e: &mut Errs) {
    let ns = meta_str(obj, "namespace");
    let involved_ns = st(sub_any(obj, "involvedObject", "regarding"), "namespace");
    let event_time_set = !event_str(obj, "eventTime", "eventTime").is_empty();
    let ns_err = |e: &mut Errs| {
        e.push(invalid(
            "involvedObject.namespace",
            involved_ns,
            "does not match event.namespace",
        ));
    };
    if !event_time_set {
        if involved_ns.is_empty() {
            if !ns.is_empty() && ns != "default" {
                ns_err(e);
            }
        } else if ns != involved_ns {
            ns_err(e);
        }
    } else {
        if involved_ns.is_empty() && ns != "default" && ns != "kube-system" {
            ns_err(e);
        }
        let rc = event_str(obj, "reportingComponent", "reportingController");
        if rc.is_empty() {
            e.push(required("reportingController", ""));
        }
        qualified_name("reportingController", rc, e);
        for (field, limit) in [("reportingInstance", 128), ("action", 128), ("reason", 128)] {
            let v = st(obj, field);
            if v.is_empty() {
                e.push(required(field, ""));
            }
            if v.len() > limit {
                e.push(invalid(
                    field,
                    "",
                    &format!("can have at most {limit} characters"),
                ));
            }
        }
        if event_str(obj, "message", "note").len() > 1024 {
            e.push(invalid("message", "", "can have at most 1024 characters"));
        }
    }
    dns_subdomain("namespace", ns, e);
    if !strict {
        return;
    }
    let series_errors = |e: &mut Errs| {
        if let Some(series) = get(obj, "series") {
            if int(series, "count").unwrap_or(0) < 2 {
                e.push(invalid("series.count", "", "should be at least 2"));
            }
            if st(series, "lastObservedTime").is_empty() {
                e.push(required("series.lastObservedTime", ""));
            }
        }
    };
    match old {
        None => {
            series_errors(e);
            if !event_time_set {
                e.push(required("eventTime", ""));
            }
            let ty = st(obj, "type");
            if ty != "Normal" && ty != "Warning" {
                e.push(invalid("type", "", &format!("has invalid value: {ty}")));
            }
            for (core, events, path) in [
                (
                    "firstTimestamp",
                    "deprecatedFirstTimestamp",
                    "firstTimestamp",
                ),
                ("lastTimestamp", "deprecatedLastTimestamp", "lastTimestamp"),
            ] {
                if !event_str(obj, core, events).is_empty() {
                    e.push(invalid(path, "", "needs to be unset"));
                }
            }
            if event_field(obj, "count", "deprecatedCount")
                .and_then(as_int)
                .is_some_and(|n| n != 0)
            {
                e.push(invalid("count", "", "needs to be unset"));
            }
            if let Some(src) = event_source(obj)
                && (!st(src, "component").is_empty() || !st(src, "host").is_empty())
            {
                e.push(invalid("source", "", "needs to be unset"));
            }
        }
        Some(old) => {
            if !sem_eq(get(obj, "series"), get(old, "series")) {
                series_errors(e);
            }
            let fields: &[(&str, &str, &str)] = &[
                ("involvedObject", "regarding", "involvedObject"),
                ("reason", "reason", "reason"),
                ("message", "note", "message"),
                ("source", "deprecatedSource", "source"),
                (
                    "firstTimestamp",
                    "deprecatedFirstTimestamp",
                    "firstTimestamp",
                ),
                ("lastTimestamp", "deprecatedLastTimestamp", "lastTimestamp"),
                ("count", "deprecatedCount", "count"),
                ("type", "type", "type"),
                ("eventTime", "eventTime", "eventTime"),
                ("action", "action", "action"),
                ("related", "related", "related"),
                (
                    "reportingComponent",
                    "reportingController",
                    "reportingController",
                ),
                (
                    "reportingInstance",
                    "reportingInstance",
                    "reportingInstance",
                ),
            ];
            for (core, events, path) in fields {
                let (new_v, old_v) = if *core == "source" {
                    (event_source(obj), event_source(old))
                } else {
                    (
                        event_field(obj, core, events),
                        event_field(old, core, events),
                    )
                };
                if !sem_eq(new_v, old_v) {
                    e.push(immutable(path, new_v));
                }
            }
        }
    }
}

fn sub_any<'a>(obj: &'a Value, core: &str, events: &str) -> &'a Value {
    event_field(obj, core, events).unwrap_or(&NULL)
}

// ---------------------------------------------------------------------------------------------
// apps/v1.

/// The selector checks every apps controller shares: required (`require`), valid, non-empty.
/// Returns the parsed selector, or `None` when it does not parse (then kube skips the
/// template's label check).
fn controller_selector(
    spec: &Value,
    kind_word: &str,
    require: bool,
    e: &mut Errs,
) -> Option<LabelSelector> {
    let sel = get(spec, "selector");
    match sel {
        None if require => e.push(required("spec.selector", "")),
        None => {}
        Some(sel) => {
            e.extend(validate_label_selector(sel, "spec.selector"));
            let n =
                obj_of(sel, "matchLabels").map_or(0, Map::len) + arr(sel, "matchExpressions").len();
            if n == 0 {
                e.push(invalid_raw(
                    "spec.selector",
                    go_selector(Some(sel)),
                    &format!("empty selector is invalid for {kind_word}"),
                ));
            }
        }
    }
    match LabelSelector::from_label_selector_json(sel.unwrap_or(&NULL)) {
        Ok(s) => Some(s),
        Err(_) => {
            e.push(invalid_raw(
                "spec.selector",
                go_selector(sel),
                "invalid label selector",
            ));
            None
        }
    }
}

/// `ValidatePodTemplateSpecForReplicaSet`, shared by Deployments and ReplicaSets.
/// The template is a struct, not a pointer, in these kinds: a missing one is an empty one.
fn replica_set_template(spec: &Value, selector: &LabelSelector, kind: &str, e: &mut Errs) {
    let template = sub(spec, "template");
    if selector_mismatch(selector, template) {
        e.push(selector_mismatch_error("spec.template", template));
    }
    pod_template_spec(template, "spec.template", &PodCtx::default(), e);
    controller_template_rules(template, "spec.template", kind, e);
}

/// apps/v1 forbids changing a controller's selector.
fn selector_immutable(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    if let Some(old) = old {
        let (new_sel, old_sel) = (
            get(sub(obj, "spec"), "selector"),
            get(sub(old, "spec"), "selector"),
        );
        if !sem_eq(new_sel, old_sel) {
            e.push(invalid_raw(
                "spec.selector",
                go_selector(new_sel),
                IMMUTABLE,
            ));
        }
    }
}

/// `ValidatePositiveIntOrPercent` and `IsNotMoreThan100Percent`; returns the value, `Some`
/// when it is a valid int or percentage.
fn int_or_percent(p: &str, v: Option<&Value>, max_100: bool, e: &mut Errs) -> Option<i64> {
    let v = v?;
    match v {
        Value::String(s) => {
            let msgs = is_valid_percent(s);
            for msg in &msgs {
                e.push(invalid_raw(p, go_intstr(v), msg));
            }
            if !msgs.is_empty() {
                return None;
            }
            let n: i64 = s.trim_end_matches('%').parse().unwrap_or(i64::MAX);
            if max_100 && n > 100 {
                e.push(invalid_raw(
                    p,
                    go_intstr(v),
                    "must not be greater than 100%",
                ));
            }
            Some(n)
        }
        other => {
            let n = as_int(other).unwrap_or(0);
            if n < 0 {
                e.push(invalid_int(p, n, NEGATIVE));
            }
            Some(n)
        }
    }
}

fn deployment(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    nonneg(spec, "replicas", "spec", e);
    if let Some(sel) = controller_selector(spec, "deployment", true, e) {
        replica_set_template(spec, &sel, "ReplicaSet", e);
    }
    let strategy = sub(spec, "strategy");
    let sp = "spec.strategy";
    match st(strategy, "type") {
        "Recreate" => {
            if get(strategy, "rollingUpdate").is_some() {
                e.push(forbidden(
                    &c(sp, "rollingUpdate"),
                    "may not be specified when strategy `type` is 'Recreate'",
                ));
            }
        }
        "RollingUpdate" => match get(strategy, "rollingUpdate") {
            None => e.push(required(
                &c(sp, "rollingUpdate"),
                "this should be defaulted and never be nil",
            )),
            Some(ru) => {
                let rp = c(sp, "rollingUpdate");
                let mu = get(ru, "maxUnavailable");
                let unavailable = int_or_percent(&c(&rp, "maxUnavailable"), mu, false, e);
                let surge = int_or_percent(&c(&rp, "maxSurge"), get(ru, "maxSurge"), false, e);
                if unavailable.unwrap_or(0) == 0 && surge.unwrap_or(0) == 0 {
                    e.push(invalid_raw(
                        &c(&rp, "maxUnavailable"),
                        go_intstr(mu.unwrap_or(&NULL)),
                        "may not be 0 when `maxSurge` is 0",
                    ));
                }
                if unavailable.is_some_and(|n| n > 100) && mu.is_some_and(Value::is_string) {
                    e.push(invalid_raw(
                        &c(&rp, "maxUnavailable"),
                        go_intstr(mu.unwrap_or(&NULL)),
                        "must not be greater than 100%",
                    ));
                }
            }
        },
        // kube reports the whole strategy as the bad value.
        _ => e.push(not_supported_v(
            sp,
            strategy,
            &["Recreate", "RollingUpdate"],
        )),
    }
    nonneg(spec, "minReadySeconds", "spec", e);
    nonneg(spec, "revisionHistoryLimit", "spec", e);
    if let Some(pds) = int(spec, "progressDeadlineSeconds") {
        if pds < 0 {
            e.push(invalid_int("spec.progressDeadlineSeconds", pds, NEGATIVE));
        }
        if pds <= int(spec, "minReadySeconds").unwrap_or(0) {
            e.push(invalid_int(
                "spec.progressDeadlineSeconds",
                pds,
                "must be greater than minReadySeconds",
            ));
        }
    }
    selector_immutable(obj, old, e);
}

fn replica_set(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    nonneg(spec, "replicas", "spec", e);
    nonneg(spec, "minReadySeconds", "spec", e);
    // kube's message says "deployment" for ReplicaSets too.
    if let Some(sel) = controller_selector(spec, "deployment", true, e) {
        replica_set_template(spec, &sel, "ReplicaSet", e);
    }
    selector_immutable(obj, old, e);
}

fn daemon_set(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    // A DaemonSet's selector is not reported missing, but nil selects nothing, so its template
    // labels never match.
    let sel = get(spec, "selector");
    if let Some(s) = sel {
        e.extend(validate_label_selector(s, "spec.selector"));
    }
    let template = sub(spec, "template");
    if let Ok(selector) = LabelSelector::from_label_selector_json(sel.unwrap_or(&NULL)) {
        let labels = template_labels(template).and_then(Value::as_object);
        if !selector.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str)) {
            e.push(selector_mismatch_error("spec.template", template));
        }
    }
    if let Some(s) = sel
        && obj_of(s, "matchLabels").map_or(0, Map::len) + arr(s, "matchExpressions").len() == 0
    {
        e.push(invalid_raw(
            "spec.selector",
            go_selector(Some(s)),
            "empty selector is invalid for daemonset",
        ));
    }
    pod_template_spec(template, "spec.template", &PodCtx::default(), e);
    controller_template_rules(template, "spec.template", "DaemonSet", e);
    nonneg(spec, "minReadySeconds", "spec", e);
    nonneg(spec, "templateGeneration", "spec", e);
    let strategy = sub(spec, "updateStrategy");
    let sp = "spec.updateStrategy";
    match st(strategy, "type") {
        "OnDelete" => {}
        "RollingUpdate" => match get(strategy, "rollingUpdate") {
            None => e.push(required(&c(sp, "rollingUpdate"), "")),
            Some(ru) => {
                let rp = c(sp, "rollingUpdate");
                let mu = get(ru, "maxUnavailable");
                let ms = get(ru, "maxSurge");
                let unavailable = int_or_percent(&c(&rp, "maxUnavailable"), mu, true, e);
                let surge = int_or_percent(&c(&rp, "maxSurge"), ms, true, e);
                let (has_u, has_s) = (unavailable.unwrap_or(0) != 0, surge.unwrap_or(0) != 0);
                if has_u && has_s {
                    e.push(invalid_raw(
                        &c(&rp, "maxSurge"),
                        go_intstr(ms.unwrap_or(&NULL)),
                        "may not be set when maxUnavailable is non-zero",
                    ));
                } else if !has_u && !has_s {
                    e.push(required(
                        &c(&rp, "maxUnavailable"),
                        "cannot be 0 when maxSurge is 0",
                    ));
                }
            }
        },
        _ => e.push(not_supported_v(
            sp,
            strategy,
            &["RollingUpdate", "OnDelete"],
        )),
    }
    nonneg(spec, "revisionHistoryLimit", "spec", e);
    selector_immutable(obj, old, e);
}

const STATEFUL_SET_MUTABLE: &[&str] = &[
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

fn stateful_set(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    match st(spec, "podManagementPolicy") {
        "" => e.push(required("spec.podManagementPolicy", "")),
        "OrderedReady" | "Parallel" => {}
        other => e.push(invalid(
            "spec.podManagementPolicy",
            other,
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    let strategy = sub(spec, "updateStrategy");
    match st(strategy, "type") {
        "" => e.push(required("spec.updateStrategy", "")),
        "OnDelete" => {
            if let Some(ru) = get(strategy, "rollingUpdate") {
                e.push(invalid_json(
                    "spec.updateStrategy.rollingUpdate",
                    ru,
                    "only allowed for updateStrategy 'RollingUpdate'",
                ));
            }
        }
        "RollingUpdate" => {
            if let Some(ru) = get(strategy, "rollingUpdate") {
                let rp = "spec.updateStrategy.rollingUpdate";
                nonneg(ru, "partition", rp, e);
                if let Some(mu) = get(ru, "maxUnavailable") {
                    let mp = c(rp, "maxUnavailable");
                    if int_or_percent(&mp, Some(mu), true, e) == Some(0) {
                        e.push(invalid_raw(&mp, go_intstr(mu), "cannot be 0"));
                    }
                }
            }
        }
        _ => e.push(invalid_json(
            "spec.updateStrategy",
            strategy,
            "must be 'RollingUpdate' or 'OnDelete'",
        )),
    }
    if let Some(policy) = get(spec, "persistentVolumeClaimRetentionPolicy") {
        for key in ["whenDeleted", "whenScaled"] {
            let v = st(policy, key);
            if !matches!(v, "Retain" | "Delete") {
                e.push(not_supported(
                    &c("spec.persistentVolumeClaimRetentionPolicy", key),
                    v,
                    &["Retain", "Delete"],
                ));
            }
        }
    }
    nonneg(spec, "replicas", "spec", e);
    nonneg(spec, "minReadySeconds", "spec", e);
    if let Some(ord) = get(spec, "ordinals")
        && let Some(n) = int(ord, "start").filter(|n| *n < 0)
    {
        e.push(invalid_int("spec.ordinals.start", n, NEGATIVE));
    }
    // kube does not validate a StatefulSet's PodSpec (its volume mounts may name claim
    // templates); Flotilla does, counting the claim templates as volumes.
    let claims: Vec<String> = arr(spec, "volumeClaimTemplates")
        .iter()
        .map(|t| meta_str(t, "name").to_owned())
        .collect();
    if let Some(sel) = controller_selector(spec, "statefulset", true, e) {
        let template = sub(spec, "template");
        if selector_mismatch(&sel, template) {
            e.push(selector_mismatch_error("spec.template", template));
        }
    }
    let template = sub(spec, "template");
    let ctx = PodCtx {
        extra_volumes: claims,
        ..PodCtx::default()
    };
    pod_template_spec(template, "spec.template", &ctx, e);
    let rp = st(sub(template, "spec"), "restartPolicy");
    if rp != "Always" {
        e.push(not_supported(
            "spec.template.spec.restartPolicy",
            rp,
            &["Always"],
        ));
    }
    if get(sub(template, "spec"), "activeDeadlineSeconds").is_some() {
        e.push(forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            "activeDeadlineSeconds in StatefulSet is not Supported",
        ));
    }
    for (i, claim) in arr(spec, "volumeClaimTemplates").iter().enumerate() {
        let cp = ix("spec.volumeClaimTemplates", i);
        let name = meta_str(claim, "name");
        if name.is_empty() {
            e.push(required(&c(&cp, "metadata.name"), ""));
        }
        pvc_spec(sub(claim, "spec"), &c(&cp, "spec"), e);
    }
    if let Some(old) = old {
        let strip = |s: &Value| {
            let mut s = s.clone();
            if let Some(m) = s.as_object_mut() {
                for k in STATEFUL_SET_MUTABLE {
                    m.remove(*k);
                }
            }
            s
        };
        if !sem_eq(Some(&strip(spec)), Some(&strip(sub(old, "spec")))) {
            e.push(forbidden(
                "spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// batch/v1.

const MAX_PARALLELISM_INDEXED: i64 = 100_000;

/// `validateJobSpec`: the rules a Job and a CronJob's job template share.
fn job_spec(spec: &Value, p: &str, e: &mut Errs) {
    for k in [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
        "backoffLimitPerIndex",
    ] {
        nonneg(spec, k, p, e);
    }
    if let Some(mfi) = int(spec, "maxFailedIndexes") {
        if mfi < 0 {
            e.push(invalid_int(&c(p, "maxFailedIndexes"), mfi, NEGATIVE));
        }
        if get(spec, "backoffLimitPerIndex").is_none() {
            e.push(required(
                &c(p, "backoffLimitPerIndex"),
                "when maxFailedIndexes is specified",
            ));
        }
    }
    let mode = opt_str(spec, "completionMode");
    match mode {
        Some("NonIndexed") | None => {
            if let Some(n) = int(spec, "backoffLimitPerIndex") {
                e.push(invalid_int(
                    &c(p, "backoffLimitPerIndex"),
                    n,
                    "requires indexed completion mode",
                ));
            }
            if let Some(n) = int(spec, "maxFailedIndexes") {
                e.push(invalid_int(
                    &c(p, "maxFailedIndexes"),
                    n,
                    "requires indexed completion mode",
                ));
            }
        }
        Some("Indexed") => {
            if get(spec, "completions").is_none() {
                e.push(required(
                    &c(p, "completions"),
                    "when completion mode is Indexed",
                ));
            }
            if let Some(par) = int(spec, "parallelism").filter(|n| *n > MAX_PARALLELISM_INDEXED) {
                e.push(invalid_int(
                    &c(p, "parallelism"),
                    par,
                    "must be less than or equal to 100000 when completion mode is Indexed",
                ));
            }
            if let (Some(comp), Some(mfi)) =
                (int(spec, "completions"), int(spec, "maxFailedIndexes"))
                && mfi > comp
            {
                e.push(invalid_int(
                    &c(p, "maxFailedIndexes"),
                    mfi,
                    "must be less than or equal to completions",
                ));
            }
        }
        Some(other) => e.push(not_supported(
            &c(p, "completionMode"),
            other,
            &["NonIndexed", "Indexed"],
        )),
    }
    let has_pfp = get(spec, "podFailurePolicy").is_some();
    if let Some(pfp) = get(spec, "podFailurePolicy") {
        pod_failure_policy(spec, pfp, &c(p, "podFailurePolicy"), e);
    }
    if let Some(sp) = get(spec, "successPolicy")
        && mode != Some("Indexed")
    {
        e.push(invalid_json(
            &c(p, "successPolicy"),
            sp,
            "requires indexed completion mode",
        ));
    }
    if let Some(prp) = opt_str(spec, "podReplacementPolicy") {
        if has_pfp {
            if prp != "Failed" {
                e.push(not_supported(
                    &c(p, "podReplacementPolicy"),
                    prp,
                    &["Failed"],
                ));
            }
        } else if !matches!(prp, "Failed" | "TerminatingOrFailed") {
            e.push(not_supported(
                &c(p, "podReplacementPolicy"),
                prp,
                &["Failed", "TerminatingOrFailed"],
            ));
        }
    }
    let template = sub(spec, "template");
    let tp = c(p, "template");
    pod_template_spec(template, &tp, &PodCtx::default(), e);
    let rp_path = c(&tp, "spec.restartPolicy");
    match st(sub(template, "spec"), "restartPolicy") {
        "Always" | "" => e.push(required(&rp_path, "valid values: \"OnFailure\", \"Never\"")),
        "OnFailure" if has_pfp => e.push(invalid(
            &rp_path,
            "OnFailure",
            "only \"Never\" is supported when podFailurePolicy is specified",
        )),
        "OnFailure" | "Never" => {}
        other => e.push(not_supported(&rp_path, other, &["OnFailure", "Never"])),
    }
}

fn pod_failure_policy(spec: &Value, pfp: &Value, p: &str, e: &mut Errs) {
    const ACTIONS: &[&str] = &["Count", "FailIndex", "FailJob", "Ignore"];
    let rules = arr(pfp, "rules");
    let rp = c(p, "rules");
    if rules.len() > 20 {
        e.push(FieldError::too_many(&rp, rules.len(), 20));
    }
    let tspec = sub(sub(spec, "template"), "spec");
    let names: HashSet<&str> = arr(tspec, "containers")
        .iter()
        .chain(arr(tspec, "initContainers"))
        .map(|c| st(c, "name"))
        .collect();
    for (i, rule) in rules.iter().enumerate() {
        let rule_p = ix(&rp, i);
        let ap = c(&rule_p, "action");
        match st(rule, "action") {
            "" => e.push(required(
                &ap,
                "valid values: [\"Count\" \"FailIndex\" \"FailJob\" \"Ignore\"]",
            )),
            "FailIndex" if get(spec, "backoffLimitPerIndex").is_none() => {
                e.push(invalid(
                    &ap,
                    "FailIndex",
                    "requires the backoffLimitPerIndex to be set",
                ));
            }
            a if !ACTIONS.contains(&a) => e.push(not_supported(&ap, a, ACTIONS)),
            _ => {}
        }
        let exit = get(rule, "onExitCodes");
        let conds = arr(rule, "onPodConditions");
        if let Some(ec) = exit {
            let ep = c(&rule_p, "onExitCodes");
            let op = st(ec, "operator");
            match op {
                "" => e.push(required(
                    &c(&ep, "operator"),
                    "valid values: [\"In\" \"NotIn\"]",
                )),
                "In" | "NotIn" => {}
                other => e.push(not_supported(&c(&ep, "operator"), other, &["In", "NotIn"])),
            }
            if let Some(cn) = opt_str(ec, "containerName")
                && !names.contains(cn)
            {
                e.push(invalid(
                    &c(&ep, "containerName"),
                    cn,
                    "must be one of the container or initContainer names in the pod template",
                ));
            }
            let values: Vec<i64> = arr(ec, "values").iter().filter_map(as_int).collect();
            let vp = c(&ep, "values");
            if values.is_empty() {
                e.push(invalid_raw(
                    &vp,
                    "[]int32(nil)".to_owned(),
                    "at least one value is required",
                ));
            }
            let mut seen = HashSet::new();
            for (j, v) in values.iter().enumerate() {
                if op == "In" && *v == 0 {
                    e.push(invalid_int(
                        &ix(&vp, j),
                        0,
                        "must not be 0 for the In operator",
                    ));
                }
                if !seen.insert(*v) {
                    e.push(duplicate_raw(&ix(&vp, j), v.to_string()));
                }
            }
            if values.windows(2).any(|w| w[0] > w[1]) {
                let list: Vec<String> = values.iter().map(i64::to_string).collect();
                e.push(invalid_raw(
                    &vp,
                    format!("[]int32{{{}}}", list.join(", ")),
                    "must be ordered",
                ));
            }
        }
        for (j, pattern) in conds.iter().enumerate() {
            let pp = ix(&c(&rule_p, "onPodConditions"), j);
            qualified_name(&c(&pp, "type"), st(pattern, "type"), e);
            match st(pattern, "status") {
                "" => e.push(required(
                    &c(&pp, "status"),
                    "valid values: [\"False\" \"True\" \"Unknown\"]",
                )),
                "True" | "False" | "Unknown" => {}
                other => e.push(not_supported(
                    &c(&pp, "status"),
                    other,
                    &["False", "True", "Unknown"],
                )),
            }
        }
        if exit.is_some() && !conds.is_empty() {
            e.push(raw(
                &rule_p,
                FieldErrorKind::Invalid,
                None,
                "specifying both OnExitCodes and OnPodConditions is not supported",
            ));
        }
        if exit.is_none() && conds.is_empty() {
            e.push(raw(
                &rule_p,
                FieldErrorKind::Invalid,
                None,
                "specifying one of OnExitCodes and OnPodConditions is required",
            ));
        }
    }
}

fn has_label<'a>(labels: Option<&'a Obj>, key: &str) -> Option<&'a str> {
    labels.and_then(|l| l.get(key)).and_then(Value::as_str)
}

fn job(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    let name = meta_str(obj, "name");
    let uid = meta_str(obj, "uid");
    let template = sub(spec, "template");
    let sel = get(spec, "selector");
    if old.is_none() && !is_true(spec, "manualSelector") && !uid.is_empty() && sel.is_some() {
        // `validateGeneratedSelector`: the generated labels must be on the template.
        let labels = template_labels(template).and_then(Value::as_object);
        for (key, want) in [
            ("controller-uid", uid),
            ("job-name", name),
            ("batch.kubernetes.io/controller-uid", uid),
            ("batch.kubernetes.io/job-name", name),
        ] {
            let lp = ky("spec.template.metadata.labels", key);
            match has_label(labels, key) {
                None => e.push(required(&lp, &format!("must be '{want}'"))),
                Some(v) if v != want => e.push(invalid_raw(
                    &lp,
                    go_string_map(template_labels(template)),
                    &format!("must be '{want}'"),
                )),
                Some(_) => {}
            }
        }
        if let Ok(s) = LabelSelector::from_label_selector_json(sel.unwrap_or(&NULL)) {
            let expected: BTreeMap<String, String> = [
                ("controller-uid", uid),
                ("job-name", name),
                ("batch.kubernetes.io/controller-uid", uid),
                ("batch.kubernetes.io/job-name", name),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
            if !s.matches_btree(&expected) {
                e.push(invalid_raw(
                    "spec.selector",
                    go_selector(sel),
                    "`selector` not auto-generated",
                ));
            }
        }
    }
    job_spec(spec, "spec", e);
    match sel {
        None => e.push(required("spec.selector", "")),
        Some(s) => e.extend(validate_label_selector(s, "spec.selector")),
    }
    if let Ok(s) = LabelSelector::from_label_selector_json(sel.unwrap_or(&NULL)) {
        let labels = template_labels(template).and_then(Value::as_object);
        if !s.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str)) {
            e.push(selector_mismatch_error("spec.template", template));
        }
    }
    if old.is_none()
        && opt_str(spec, "completionMode") == Some("Indexed")
        && let Some(n) = int(spec, "completions").filter(|n| *n > 0)
    {
        let hostname = format!("{name}-{}", n - 1);
        if !is_dns1123_label(&hostname).is_empty() {
            e.push(invalid(
                "metadata.name",
                name,
                &format!("will not able to create pod with invalid DNS label: {hostname}"),
            ));
        }
    }
    let Some(old) = old else {
        return;
    };
    let os = sub(old, "spec");
    // Completions is immutable, except in tandem with parallelism for Indexed Jobs.
    if !sem_eq(get(spec, "completions"), get(os, "completions")) {
        if opt_str(spec, "completionMode") == Some("Indexed") {
            if let Some(n) = int(spec, "completions")
                && Some(n) != int(spec, "parallelism")
            {
                e.push(invalid_int(
                    "spec.completions",
                    n,
                    "can only be modified in tandem with spec.parallelism",
                ));
            }
        } else {
            e.push(immutable("spec.completions", get(spec, "completions")));
        }
    }
    if !sem_eq(get(spec, "selector"), get(os, "selector")) {
        e.push(invalid_raw(
            "spec.selector",
            go_selector(get(spec, "selector")),
            IMMUTABLE,
        ));
    }
    // The template is immutable; a suspended Job that never started may change its scheduling
    // directives (node affinity and selector, tolerations, labels, annotations, gates).
    let mutable_scheduling =
        is_true(os, "suspend") && st(sub(old, "status"), "startTime").is_empty();
    let scrub = |t: &Value| {
        let mut t = t.clone();
        if mutable_scheduling && let Some(m) = t.as_object_mut() {
            if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("labels");
                meta.remove("annotations");
            }
            if let Some(s) = m.get_mut("spec").and_then(Value::as_object_mut) {
                for k in ["nodeSelector", "tolerations", "schedulingGates"] {
                    s.remove(k);
                }
                if let Some(aff) = s.get_mut("affinity").and_then(Value::as_object_mut) {
                    aff.remove("nodeAffinity");
                }
            }
        }
        t
    };
    let (nt, ot) = (sub(spec, "template"), sub(os, "template"));
    if !sem_eq(Some(&scrub(nt)), Some(&scrub(ot))) {
        e.push(invalid_raw("spec.template", render_value(nt), IMMUTABLE));
    }
    for k in [
        "completionMode",
        "podFailurePolicy",
        "backoffLimitPerIndex",
        "managedBy",
        "successPolicy",
    ] {
        if !sem_eq(get(spec, k), get(os, k)) {
            e.push(immutable(&c("spec", k), get(spec, k)));
        }
    }
}

fn cron_job(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    let os = old.map(|o| sub(o, "spec"));
    let schedule = st(spec, "schedule");
    let time_zone = opt_str(spec, "timeZone");
    if schedule.is_empty() {
        e.push(required("spec.schedule", ""));
    } else {
        if let Err(msg) = parse_cron(schedule) {
            e.push(invalid("spec.schedule", schedule, &msg));
        }
        let allow_tz = os.is_some_and(|s| st(s, "schedule").contains("TZ"));
        if allow_tz && schedule.contains("TZ") && time_zone.is_some() {
            e.push(invalid(
                "spec.schedule",
                schedule,
                "cannot use both timeZone field and TZ or CRON_TZ in schedule",
            ));
        } else if !allow_tz && schedule.contains("TZ") {
            e.push(invalid(
                "spec.schedule",
                schedule,
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ));
        }
    }
    nonneg(spec, "startingDeadlineSeconds", "spec", e);
    if os.is_none_or(|s| opt_str(s, "timeZone") != time_zone)
        && let Some(tz) = time_zone
        && let Err(msg) = check_time_zone(tz)
    {
        e.push(invalid("spec.timeZone", tz, &msg));
    }
    match st(spec, "concurrencyPolicy") {
        "Allow" | "Forbid" | "Replace" => {}
        "" => e.push(required("spec.concurrencyPolicy", "")),
        other => e.push(not_supported(
            "spec.concurrencyPolicy",
            other,
            &["Allow", "Forbid", "Replace"],
        )),
    }
    let jt = sub(spec, "jobTemplate");
    let js = sub(jt, "spec");
    job_spec(js, "spec.jobTemplate.spec", e);
    if let Some(sel) = get(js, "selector") {
        e.push(invalid_raw(
            "spec.jobTemplate.spec.selector",
            go_selector(Some(sel)),
            "`selector` will be auto-generated",
        ));
    }
    if is_true(js, "manualSelector") {
        e.push(not_supported_v(
            "spec.jobTemplate.spec.manualSelector",
            &Value::Bool(true),
            &["nil", "false"],
        ));
    }
    nonneg(spec, "successfulJobsHistoryLimit", "spec", e);
    nonneg(spec, "failedJobsHistoryLimit", "spec", e);
    let name = meta_str(obj, "name");
    if old.is_none() && name.len() > 52 {
        e.push(invalid(
            "metadata.name",
            name,
            "must be no more than 52 characters",
        ));
    }
}

/// `validateTimeZone` without the time zone database: the IANA naming rules kube checks
/// first, and `Local`.
fn check_time_zone(tz: &str) -> Result<(), String> {
    if tz.is_empty() {
        return Err("timeZone must be nil or non-empty string".to_owned());
    }
    for part in tz.split('/') {
        let ok_chars = !part.is_empty()
            && part.len() <= 14
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'));
        if part == "." || part == ".." || part.starts_with('-') || !ok_chars {
            return Err(format!("unknown time zone {tz}"));
        }
    }
    if tz.eq_ignore_ascii_case("Local") {
        return Err(
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
                .to_owned(),
        );
    }
    Ok(())
}

// Cron schedules, as `github.com/robfig/cron/v3`'s `ParseStandard` accepts them: five fields
// or a descriptor, with its error messages.

struct CronBounds {
    min: u64,
    max: u64,
    names: &'static [&'static str],
    /// The number of the first name.
    names_from: u64,
}

const CRON_FIELDS: [CronBounds; 5] = [
    CronBounds {
        min: 0,
        max: 59,
        names: &[],
        names_from: 0,
    },
    CronBounds {
        min: 0,
        max: 23,
        names: &[],
        names_from: 0,
    },
    CronBounds {
        min: 1,
        max: 31,
        names: &[],
        names_from: 0,
    },
    CronBounds {
        min: 1,
        max: 12,
        names: &[
            "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        ],
        names_from: 1,
    },
    CronBounds {
        min: 0,
        max: 6,
        names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
        names_from: 0,
    },
];

/// Go's `strconv.Atoi` error for `s`, or the number.
fn go_atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "strconv.Atoi: parsing {}: invalid syntax",
            go_quote(s)
        ));
    }
    s.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {}: value out of range", go_quote(s)))
}

fn cron_int(expr: &str) -> Result<u64, String> {
    let n = go_atoi(expr).map_err(|err| format!("failed to parse int from {expr}: {err}"))?;
    if n < 0 {
        return Err(format!("negative number ({n}) not allowed: {expr}"));
    }
    Ok(n.unsigned_abs())
}

fn cron_int_or_name(expr: &str, b: &CronBounds) -> Result<u64, String> {
    let lower = expr.to_lowercase();
    if let Some(i) = b.names.iter().position(|n| *n == lower) {
        return Ok(b.names_from + i as u64);
    }
    cron_int(expr)
}

fn cron_range(expr: &str, b: &CronBounds) -> Result<(), String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_high.len() == 1;
    let (start, mut end) = if low_high[0] == "*" || low_high[0] == "?" {
        (b.min, b.max)
    } else {
        let start = cron_int_or_name(low_high[0], b)?;
        match low_high.len() {
            1 => (start, start),
            2 => (start, cron_int_or_name(low_high[1], b)?),
            _ => return Err(format!("too many hyphens: {expr}")),
        }
    };
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = cron_int(range_and_step[1])?;
            if single {
                end = b.max;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!(
            "beginning of range ({start}) below minimum ({}): {expr}",
            b.min
        ));
    }
    if end > b.max {
        return Err(format!(
            "end of range ({end}) above maximum ({}): {expr}",
            b.max
        ));
    }
    if start > end {
        return Err(format!(
            "beginning of range ({start}) beyond end of range ({end}): {expr}"
        ));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    Ok(())
}

/// Go's `time.ParseDuration`, for `@every`.
fn go_parse_duration(s: &str) -> Result<(), String> {
    let quoted = go_quote(s);
    let mut rest = s.strip_prefix(['+', '-']).unwrap_or(s);
    if rest == "0" {
        return Ok(());
    }
    if rest.is_empty() {
        return Err(format!("time: invalid duration {quoted}"));
    }
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let mut digits = int_len;
        let mut len = int_len;
        if rest[len..].starts_with('.') {
            len += 1;
            let frac = rest[len..].bytes().take_while(u8::is_ascii_digit).count();
            digits += frac;
            len += frac;
        }
        if digits == 0 {
            return Err(format!("time: invalid duration {quoted}"));
        }
        rest = &rest[len..];
        let unit_len = rest
            .char_indices()
            .find(|(_, ch)| *ch == '.' || ch.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let unit = &rest[..unit_len];
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {quoted}"));
        }
        if !matches!(unit, "ns" | "us" | "µs" | "μs" | "ms" | "s" | "m" | "h") {
            return Err(format!(
                "time: unknown unit {} in duration {quoted}",
                go_quote(unit)
            ));
        }
        rest = &rest[unit_len..];
    }
    Ok(())
}

fn parse_cron(spec: &str) -> Result<(), String> {
    if spec.is_empty() {
        return Err("empty spec string".to_owned());
    }
    let mut spec = spec;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let eq = spec.find('=').unwrap_or(0);
        let end = spec.find(' ').unwrap_or(spec.len());
        let loc = spec.get(eq + 1..end).unwrap_or("");
        if let Err(err) = check_time_zone(loc) {
            return Err(format!("provided bad location {loc}: {err}"));
        }
        spec = spec[end..].trim();
    }
    if spec.starts_with('@') {
        return match spec {
            "@yearly" | "@annually" | "@monthly" | "@weekly" | "@daily" | "@midnight"
            | "@hourly" => Ok(()),
            _ => match spec.strip_prefix("@every ") {
                Some(d) => go_parse_duration(d)
                    .map_err(|err| format!("failed to parse duration {spec}: {err}")),
                None => Err(format!("unrecognized descriptor: {spec}")),
            },
        };
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!(
            "expected exactly 5 fields, found {}: [{}]",
            fields.len(),
            fields.join(" ")
        ));
    }
    for (field, bounds) in fields.iter().zip(CRON_FIELDS.iter()) {
        for expr in field.split(',').filter(|x| !x.is_empty()) {
            cron_range(expr, bounds)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// networking.k8s.io/v1.

const INVALID_PATH_SEQUENCES: &[&str] = &["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES: &[&str] = &["/..", "/."];

fn ingress_backend(b: &Value, p: &str, e: &mut Errs) {
    let resource = get(b, "resource");
    let service = get(b, "service");
    match (resource, service) {
        (Some(_), Some(_)) => {
            e.push(invalid(
                p,
                "",
                "cannot set both resource and service backends",
            ));
        }
        (Some(r), None) => {
            let rp = c(p, "resource");
            if let Some(g) = opt_str(r, "apiGroup") {
                dns_subdomain(&c(&rp, "apiGroup"), g, e);
            }
            for key in ["kind", "name"] {
                let v = st(r, key);
                if v.is_empty() {
                    e.push(required(&c(&rp, key), &format!("{key} is required")));
                } else {
                    path_segment(&c(&rp, key), v, e);
                }
            }
        }
        (None, Some(s)) => {
            let sp = c(p, "service");
            let name = st(s, "name");
            if name.is_empty() {
                e.push(required(&c(&sp, "name"), ""));
            } else {
                for msg in is_dns1035_label(name) {
                    e.push(invalid(&c(&sp, "name"), name, &msg));
                }
            }
            let port = sub(s, "port");
            let port_name = st(port, "name");
            let number = int(port, "number").unwrap_or(0);
            match (port_name.is_empty(), number == 0) {
                (false, false) => {
                    e.push(invalid(p, "", "cannot set both port name & port number"));
                }
                (false, true) => {
                    for msg in is_valid_port_name(port_name) {
                        e.push(invalid(&c(&sp, "port.name"), port_name, &msg));
                    }
                }
                (true, false) => {
                    for msg in is_valid_port_num(number) {
                        e.push(invalid_int(&c(&sp, "port.number"), number, &msg));
                    }
                }
                (true, true) => e.push(required(p, "port name or number is required")),
            }
        }
        (None, None) => e.push(invalid(p, "", "resource or service backend is required")),
    }
}

fn host_name(p: &str, host: &str, e: &mut Errs) {
    if host.contains('*') {
        for msg in is_wildcard_dns1123_subdomain(host) {
            e.push(invalid(p, host, &msg));
        }
    } else {
        dns_subdomain(p, host, e);
    }
}

fn ingress(obj: &Value, old: Option<&Value>, e: &mut Errs) {
    let spec = sub(obj, "spec");
    let rules = arr(spec, "rules");
    let default_backend = get(spec, "defaultBackend");
    if rules.is_empty() && default_backend.is_none() {
        e.push(invalid_raw(
            "spec",
            "[]networking.IngressRule(nil)".to_owned(),
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(b) = default_backend {
        ingress_backend(b, "spec.defaultBackend", e);
    }
    for (i, rule) in rules.iter().enumerate() {
        let host = st(rule, "host");
        let hp = c(&ix("spec.rules", i), "host");
        if !host.is_empty() {
            if parse_ip(host).is_some() {
                e.push(invalid(&hp, host, "must be a DNS name, not an IP address"));
            }
            host_name(&hp, host, e);
        }
        // kube validates every rule's paths under `spec.rules[0]`.
        if let Some(http) = get(rule, "http") {
            let paths = arr(http, "paths");
            let pp = "spec.rules[0].http.paths";
            if paths.is_empty() {
                e.push(required(pp, ""));
            }
            for (j, path) in paths.iter().enumerate() {
                let jp = ix(pp, j);
                let value = st(path, "path");
                match opt_str(path, "pathType") {
                    None => {
                        e.push(required(&c(&jp, "pathType"), "pathType must be specified"));
                        continue;
                    }
                    Some("Exact" | "Prefix") => {
                        if !value.starts_with('/') {
                            e.push(invalid(&c(&jp, "path"), value, "must be an absolute path"));
                        }
                        for seq in INVALID_PATH_SEQUENCES {
                            if value.contains(seq) {
                                e.push(invalid(
                                    &c(&jp, "path"),
                                    value,
                                    &format!("must not contain '{seq}'"),
                                ));
                            }
                        }
                        for suffix in INVALID_PATH_SUFFIXES {
                            if value.ends_with(suffix) {
                                e.push(invalid(
                                    &c(&jp, "path"),
                                    value,
                                    &format!("cannot end with '{suffix}'"),
                                ));
                            }
                        }
                    }
                    Some("ImplementationSpecific") => {
                        if !value.is_empty() && !value.starts_with('/') {
                            e.push(invalid(&c(&jp, "path"), value, "must be an absolute path"));
                        }
                    }
                    Some(other) => e.push(not_supported(
                        &c(&jp, "pathType"),
                        other,
                        &["Exact", "ImplementationSpecific", "Prefix"],
                    )),
                }
                ingress_backend(sub(path, "backend"), &c(&jp, "backend"), e);
            }
        }
    }
    // kube indexes TLS hosts by the host's position.
    for tls in arr(spec, "tls") {
        for (i, host) in str_list(tls, "hosts").iter().enumerate() {
            host_name(&c(&ix("spec.tls", i), "hosts"), host, e);
        }
    }
    if let Some(class) = opt_str(spec, "ingressClassName") {
        dns_subdomain("spec.ingressClassName", class, e);
    }
    if old.is_none()
        && opt_str(spec, "ingressClassName").is_some()
        && let Some(v) = sub(sub(obj, "metadata"), "annotations")
            .get("kubernetes.io/ingress.class")
            .and_then(Value::as_str)
    {
        e.push(invalid(
            "annotations.kubernetes.io/ingress.class",
            v,
            "can not be set when the class field is also set",
        ));
    }
}

fn network_policy_port(port: &Value, p: &str, e: &mut Errs) {
    if let Some(proto) = opt_str(port, "protocol")
        && !matches!(proto, "TCP" | "UDP" | "SCTP")
    {
        e.push(not_supported(
            &c(p, "protocol"),
            proto,
            &["TCP", "UDP", "SCTP"],
        ));
    }
    let end = int(port, "endPort");
    match get(port, "port") {
        Some(Value::String(name)) => {
            if let Some(ep) = end {
                e.push(invalid_int(
                    &c(p, "endPort"),
                    ep,
                    "may not be specified when `port` is non-numeric",
                ));
            }
            for msg in is_valid_port_name(name) {
                e.push(invalid(&c(p, "port"), name, &msg));
            }
        }
        Some(v) => {
            let n = as_int(v).unwrap_or(0);
            for msg in is_valid_port_num(n) {
                e.push(invalid_int(&c(p, "port"), n, &msg));
            }
            if let Some(ep) = end {
                if ep < n {
                    e.push(invalid_int(
                        &c(p, "endPort"),
                        n,
                        "must be greater than or equal to `port`",
                    ));
                }
                for msg in is_valid_port_num(ep) {
                    e.push(invalid_int(&c(p, "endPort"), ep, &msg));
                }
            }
        }
        None => {
            if let Some(ep) = end {
                e.push(invalid_int(
                    &c(p, "endPort"),
                    ep,
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
}

fn network_policy_peer(peer: &Value, p: &str, e: &mut Errs) {
    let mut n = 0;
    for key in ["podSelector", "namespaceSelector"] {
        if let Some(sel) = get(peer, key) {
            n += 1;
            e.extend(validate_label_selector(sel, &c(p, key)));
        }
    }
    if let Some(block) = get(peer, "ipBlock") {
        n += 1;
        let bp = c(p, "ipBlock");
        let cidr = st(block, "cidr");
        if cidr.is_empty() {
            e.push(required(&c(&bp, "cidr"), ""));
        } else if let Some((net, bits)) = parse_cidr(cidr) {
            for (i, ex) in str_list(block, "except").iter().enumerate() {
                let xp = ix(&c(&bp, "except"), i);
                match parse_cidr(ex) {
                    None => {
                        e.push(invalid(&xp, ex, CIDR_ERROR));
                    }
                    Some((ip, ex_bits)) => {
                        if !cidr_contains(net, bits, ip) || bits >= ex_bits {
                            e.push(invalid(&xp, ex, "must be a strict subset of `cidr`"));
                        }
                    }
                }
            }
        } else {
            e.push(invalid(&c(&bp, "cidr"), cidr, CIDR_ERROR));
        }
    }
    if n == 0 {
        e.push(required(p, "must specify a peer"));
    } else if n > 1 && get(peer, "ipBlock").is_some() {
        e.push(forbidden(
            p,
            "may not specify both ipBlock and another peer",
        ));
    }
}

fn cidr_contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    let (a, b, width) = match (net, ip) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    let shift = width - u32::from(bits);
    if shift >= 128 {
        return true;
    }
    (a >> shift) == (b >> shift)
}

fn network_policy(obj: &Value, e: &mut Errs) {
    let spec = sub(obj, "spec");
    if let Some(sel) = get(spec, "podSelector") {
        e.extend(validate_label_selector(sel, "spec.podSelector"));
    }
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in arr(spec, dir).iter().enumerate() {
            let rp = ix(&c("spec", dir), i);
            for (j, port) in arr(rule, "ports").iter().enumerate() {
                network_policy_port(port, &ix(&c(&rp, "ports"), j), e);
            }
            for (j, peer) in arr(rule, peers).iter().enumerate() {
                network_policy_peer(peer, &ix(&c(&rp, peers), j), e);
            }
        }
    }
    let types = arr(spec, "policyTypes");
    if types.len() > 2 {
        e.push(invalid_json(
            "spec.policyTypes",
            sub(spec, "policyTypes"),
            "may not specify more than two policyTypes",
        ));
        return;
    }
    for (i, t) in types.iter().enumerate() {
        if !matches!(t.as_str(), Some("Ingress" | "Egress")) {
            e.push(not_supported_v(
                &ix("spec.policyTypes", i),
                t,
                &["Ingress", "Egress"],
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// rbac.authorization.k8s.io/v1.

fn role(obj: &Value, namespaced: bool, e: &mut Errs) {
    for (i, rule) in arr(obj, "rules").iter().enumerate() {
        let rp = ix("rules", i);
        if arr(rule, "verbs").is_empty() {
            e.push(required(
                &c(&rp, "verbs"),
                "verbs must contain at least one value",
            ));
        }
        let urls = arr(rule, "nonResourceURLs");
        if !urls.is_empty() {
            let value = go_strings(rule.get("nonResourceURLs"));
            if namespaced {
                e.push(invalid_raw(
                    &c(&rp, "nonResourceURLs"),
                    value.clone(),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if !arr(rule, "apiGroups").is_empty()
                || !arr(rule, "resources").is_empty()
                || !arr(rule, "resourceNames").is_empty()
            {
                e.push(invalid_raw(
                    &c(&rp, "nonResourceURLs"),
                    value,
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if arr(rule, "apiGroups").is_empty() {
            e.push(required(
                &c(&rp, "apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if arr(rule, "resources").is_empty() {
            e.push(required(
                &c(&rp, "resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
    if !namespaced && let Some(agg) = get(obj, "aggregationRule") {
        let sels = arr(agg, "clusterRoleSelectors");
        if sels.is_empty() {
            e.push(required(
                "aggregationRule.clusterRoleSelectors",
                "at least one clusterRoleSelector required if aggregationRule is non-nil",
            ));
        }
        for (i, sel) in sels.iter().enumerate() {
            let sp = ix("aggregationRule.clusterRoleSelectors", i);
            let errs = validate_label_selector(sel, &sp);
            if !errs.is_empty() {
                e.extend(errs);
                e.push(invalid_raw(
                    &sp,
                    go_selector(Some(sel)),
                    "invalid label selector.",
                ));
            }
        }
    }
}

fn go_role_ref(r: &Value) -> String {
    format!(
        "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
        go_quote(st(r, "apiGroup")),
        go_quote(st(r, "kind")),
        go_quote(st(r, "name"))
    )
}

fn role_binding(obj: &Value, old: Option<&Value>, namespaced: bool, e: &mut Errs) {
    let role_ref = sub(obj, "roleRef");
    let group = st(role_ref, "apiGroup");
    if group != RBAC_GROUP {
        e.push(not_supported("roleRef.apiGroup", group, &[RBAC_GROUP]));
    }
    let kind = st(role_ref, "kind");
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&kind) {
        e.push(not_supported("roleRef.kind", kind, kinds));
    }
    let name = st(role_ref, "name");
    if name.is_empty() {
        e.push(required("roleRef.name", ""));
    } else {
        path_segment("roleRef.name", name, e);
    }
    for (i, s) in arr(obj, "subjects").iter().enumerate() {
        let sp = ix("subjects", i);
        let name = st(s, "name");
        if name.is_empty() {
            e.push(required(&c(&sp, "name"), ""));
        }
        let group = st(s, "apiGroup");
        match st(s, "kind") {
            "ServiceAccount" => {
                if !name.is_empty() {
                    dns_subdomain(&c(&sp, "name"), name, e);
                }
                if !group.is_empty() {
                    e.push(not_supported(&c(&sp, "apiGroup"), group, &[""]));
                }
                if !namespaced && st(s, "namespace").is_empty() {
                    e.push(required(&c(&sp, "namespace"), ""));
                }
            }
            "User" | "Group" => {
                if group != RBAC_GROUP {
                    e.push(not_supported(&c(&sp, "apiGroup"), group, &[RBAC_GROUP]));
                }
            }
            other => e.push(not_supported(
                &c(&sp, "kind"),
                other,
                &["ServiceAccount", "User", "Group"],
            )),
        }
    }
    if let Some(old) = old {
        let old_ref = sub(old, "roleRef");
        let same = ["apiGroup", "kind", "name"]
            .iter()
            .all(|k| st(role_ref, k) == st(old_ref, k));
        if !same {
            e.push(invalid_raw(
                "roleRef",
                go_role_ref(role_ref),
                "cannot change roleRef",
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// autoscaling, policy, coordination.

const METRIC_TYPES: &[&str] = &[
    "ContainerResource",
    "External",
    "Object",
    "Pods",
    "Resource",
];

fn metric_target(t: &Value, p: &str, e: &mut Errs) {
    let ty = st(t, "type");
    if ty.is_empty() {
        e.push(required(&c(p, "type"), "must specify a metric target type"));
    }
    if !matches!(ty, "Utilization" | "Value" | "AverageValue") {
        e.push(invalid(
            &c(p, "type"),
            ty,
            "must be either Utilization, Value, or AverageValue",
        ));
    }
    for key in ["value", "averageValue"] {
        if let Some(v) = get(t, key)
            && let Some(q) = quantity_at(&c(p, key), v, e)
            && q.nanos() <= 0
        {
            e.push(invalid(&c(p, key), &q.to_string(), "must be positive"));
        }
    }
    if let Some(u) = int(t, "averageUtilization").filter(|u| *u < 1) {
        e.push(invalid_int(&c(p, "averageUtilization"), u, NOT_POSITIVE));
    }
}

fn metric_identifier(m: &Value, p: &str, e: &mut Errs) {
    let name = st(m, "name");
    if name.is_empty() {
        e.push(required(&c(p, "name"), "must specify a metric name"));
    } else {
        path_segment(&c(p, "name"), name, e);
    }
    if let Some(sel) = get(m, "selector") {
        e.extend(validate_label_selector(sel, &c(p, "selector")));
    }
}

fn metric_spec(m: &Value, p: &str, e: &mut Errs) {
    let ty = st(m, "type");
    if ty.is_empty() {
        e.push(required(&c(p, "type"), "must specify a metric source type"));
    }
    if !METRIC_TYPES.contains(&ty) {
        e.push(not_supported(&c(p, "type"), ty, METRIC_TYPES));
    }
    let sources = [
        ("object", "Object"),
        ("external", "External"),
        ("pods", "Pods"),
        ("resource", "Resource"),
        ("containerResource", "ContainerResource"),
    ];
    let present: Vec<&str> = sources
        .iter()
        .filter(|(k, _)| get(m, k).is_some())
        .map(|(k, _)| *k)
        .collect();
    if let Some(first) = present.first() {
        let src = sub(m, first);
        let sp = c(p, first);
        let target = sub(src, "target");
        let tp = c(&sp, "target");
        match *first {
            "object" => {
                cross_version_ref(sub(src, "describedObject"), &c(&sp, "describedObject"), e);
                metric_identifier(sub(src, "metric"), &c(&sp, "metric"), e);
                metric_target(target, &tp, e);
                if get(target, "value").is_none() && get(target, "averageValue").is_none() {
                    e.push(required(
                        &c(&tp, "value"),
                        "must set either a target value or averageValue",
                    ));
                }
            }
            "external" => {
                metric_identifier(sub(src, "metric"), &c(&sp, "metric"), e);
                metric_target(target, &tp, e);
                if get(target, "value").is_none() && get(target, "averageValue").is_none() {
                    e.push(required(
                        &c(&tp, "value"),
                        "must set either a target value for metric or a per-pod target",
                    ));
                }
                if get(target, "value").is_some() && get(target, "averageValue").is_some() {
                    e.push(forbidden(
                        &c(&tp, "value"),
                        "may not set both a target value for metric and a per-pod target",
                    ));
                }
            }
            "pods" => {
                metric_identifier(sub(src, "metric"), &c(&sp, "metric"), e);
                metric_target(target, &tp, e);
                if get(target, "averageValue").is_none() {
                    e.push(required(
                        &c(&tp, "averageValue"),
                        "must specify a positive target averageValue",
                    ));
                }
            }
            _ => {
                if st(src, "name").is_empty() {
                    e.push(required(&c(&sp, "name"), "must specify a resource name"));
                }
                if *first == "containerResource" {
                    let container = st(src, "container");
                    if container.is_empty() {
                        e.push(required(&c(&sp, "container"), "must specify a container"));
                    } else {
                        dns_label(&c(&sp, "container"), container, e);
                    }
                }
                metric_target(target, &tp, e);
                let util = get(target, "averageUtilization");
                let avg = get(target, "averageValue");
                if util.is_none() && avg.is_none() {
                    e.push(required(
                        &c(&tp, "averageUtilization"),
                        "must set either a target raw value or a target utilization",
                    ));
                }
                if util.is_some() && avg.is_some() {
                    e.push(forbidden(
                        &c(&tp, "averageValue"),
                        "may not set both a target raw value and a target utilization",
                    ));
                }
            }
        }
    }
    let expected = sources.iter().find(|(_, t)| *t == ty).map(|(k, _)| *k);
    match expected {
        Some(k) if get(m, k).is_none() => e.push(required(
            &c(p, k),
            "must populate information for the given metric source",
        )),
        Some(_) => {}
        None => {
            if !ty.is_empty() && METRIC_TYPES.contains(&ty) {
                e.push(not_supported(&c(p, "type"), ty, METRIC_TYPES));
            }
        }
    }
    if present.len() > 1 {
        for k in present.iter().filter(|k| Some(**k) != expected) {
            e.push(forbidden(
                &c(p, k),
                "must populate the given metric source only",
            ));
        }
    }
}

fn cross_version_ref(r: &Value, p: &str, e: &mut Errs) {
    for key in ["kind", "name"] {
        let v = st(r, key);
        if v.is_empty() {
            e.push(required(&c(p, key), ""));
        } else {
            path_segment(&c(p, key), v, e);
        }
    }
}

fn scaling_rules(rules: &Value, p: &str, e: &mut Errs) {
    if let Some(w) = int(rules, "stabilizationWindowSeconds") {
        if w < 0 {
            e.push(invalid_int(
                &c(p, "stabilizationWindowSeconds"),
                w,
                "must be greater than or equal to zero",
            ));
        } else if w > 3600 {
            e.push(invalid_int(
                &c(p, "stabilizationWindowSeconds"),
                w,
                "must be less than or equal to 3600",
            ));
        }
    }
    if let Some(sp) = opt_str(rules, "selectPolicy")
        && !matches!(sp, "Max" | "Min" | "Disabled")
    {
        e.push(not_supported(
            &c(p, "selectPolicy"),
            sp,
            &["Disabled", "Max", "Min"],
        ));
    }
    let policies = arr(rules, "policies");
    if policies.is_empty() {
        e.push(required(
            &c(p, "policies"),
            "must specify at least one Policy",
        ));
    }
    for (i, policy) in policies.iter().enumerate() {
        let pp = ix(&c(p, "policies"), i);
        let ty = st(policy, "type");
        if !matches!(ty, "Pods" | "Percent") {
            e.push(not_supported(&c(&pp, "type"), ty, &["Percent", "Pods"]));
        }
        let value = int(policy, "value").unwrap_or(0);
        if value <= 0 {
            e.push(invalid_int(&c(&pp, "value"), value, NOT_POSITIVE));
        }
        let period = int(policy, "periodSeconds").unwrap_or(0);
        if period <= 0 {
            e.push(invalid_int(&c(&pp, "periodSeconds"), period, NOT_POSITIVE));
        } else if period > 1800 {
            e.push(invalid_int(
                &c(&pp, "periodSeconds"),
                period,
                "must be less than or equal to 1800",
            ));
        }
    }
}

fn hpa(obj: &Value, e: &mut Errs) {
    let spec = sub(obj, "spec");
    let min = int(spec, "minReplicas");
    if let Some(m) = min.filter(|m| *m < 1) {
        e.push(invalid_int(
            "spec.minReplicas",
            m,
            "must be greater than or equal to 1",
        ));
    }
    let max = int(spec, "maxReplicas").unwrap_or(0);
    if max < 1 {
        e.push(invalid_int(
            "spec.maxReplicas",
            max,
            "must be greater than 0",
        ));
    }
    if let Some(m) = min
        && max < m
    {
        e.push(invalid_int(
            "spec.maxReplicas",
            max,
            "must be greater than or equal to `minReplicas`",
        ));
    }
    cross_version_ref(sub(spec, "scaleTargetRef"), "spec.scaleTargetRef", e);
    if st(obj, "apiVersion") == "autoscaling/v1" {
        if let Some(t) = int(spec, "targetCPUUtilizationPercentage").filter(|t| *t < 1) {
            e.push(invalid_int(
                "spec.targetCPUUtilizationPercentage",
                t,
                "must be greater than 0",
            ));
        }
        return;
    }
    for (i, m) in arr(spec, "metrics").iter().enumerate() {
        metric_spec(m, &ix("spec.metrics", i), e);
    }
    if let Some(b) = get(spec, "behavior") {
        for key in ["scaleUp", "scaleDown"] {
            if let Some(r) = get(b, key) {
                scaling_rules(r, &c("spec.behavior", key), e);
            }
        }
    }
}

fn pdb(obj: &Value, e: &mut Errs) {
    let spec = sub(obj, "spec");
    let min = get(spec, "minAvailable");
    let max = get(spec, "maxUnavailable");
    if min.is_some() && max.is_some() {
        e.push(invalid_json(
            "spec",
            spec,
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    int_or_percent("spec.minAvailable", min, true, e);
    int_or_percent("spec.maxUnavailable", max, true, e);
    if let Some(sel) = get(spec, "selector") {
        e.extend(validate_label_selector(sel, "spec.selector"));
    }
    if let Some(p) = opt_str(spec, "unhealthyPodEvictionPolicy")
        && !matches!(p, "IfHealthyBudget" | "AlwaysAllow")
    {
        e.push(not_supported(
            "spec.unhealthyPodEvictionPolicy",
            p,
            &["AlwaysAllow", "IfHealthyBudget"],
        ));
    }
}

fn lease(obj: &Value, e: &mut Errs) {
    let spec = sub(obj, "spec");
    if let Some(d) = int(spec, "leaseDurationSeconds").filter(|d| *d <= 0) {
        e.push(invalid_int(
            "spec.leaseDurationSeconds",
            d,
            "must be greater than 0",
        ));
    }
    nonneg(spec, "leaseTransitions", "spec", e);
    let strategy = opt_str(spec, "strategy");
    if let Some(s) = strategy {
        if s.is_empty() {
            e.push(required("spec.strategy", ""));
        } else if s != "OldestEmulationVersion" {
            e.push(not_supported(
                "spec.strategy",
                s,
                &["OldestEmulationVersion"],
            ));
        }
    }
    if opt_str(spec, "preferredHolder").is_some_and(|h| !h.is_empty())
        && strategy.is_none_or(str::is_empty)
    {
        e.push(forbidden(
            "spec.preferredHolder",
            "may only be specified if `strategy` is defined",
        ));
    }
}

#[cfg(test)]
#[path = "kind_validation_tests.rs"]
mod tests;
