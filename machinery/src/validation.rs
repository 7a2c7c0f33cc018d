//! Kubernetes name and object-metadata validation, and the 422 `Status` built from its errors.
//!
//! Messages are kube-apiserver's word for word (`k8s.io/apimachinery/pkg/util/validation` and
//! `pkg/api/validation/objectmeta.go`): they reach users through kubectl, and scripts and people
//! match on them. The `is_*` functions follow apimachinery's convention of returning the list of
//! problems, so an empty list means "valid" and the strings can be embedded in a [`FieldError`].

use std::collections::HashSet;
use std::fmt;

use serde_json::{Map, Value, json};

/// Longest DNS-1123 label (namespace names, `NameRule::Label` kinds).
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// Longest DNS-1123 subdomain (most object names).
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// Longest name part of a qualified name (label keys, annotation keys, finalizers).
pub const QUALIFIED_NAME_MAX_LENGTH: usize = 63;
/// Longest label value.
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;
/// Limit on the summed byte length of all annotation keys and values.
pub const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES: usize = 256 * 1024;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_ERR_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/// The finalizers that ask the garbage collector for orphan and foreground deletion; setting both
/// is contradictory.
const FINALIZER_ORPHAN_DEPENDENTS: &str = "orphan";
const FINALIZER_DELETE_DEPENDENTS: &str = "foregroundDeletion";

/// What went wrong with one field; mirrors apimachinery's `field.ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldErrorKind {
    /// A required field is missing.
    Required,
    /// The value is malformed.
    Invalid,
    /// The value has the wrong JSON type (CRD schema validation).
    TypeInvalid,
    /// The value is longer than allowed; the value itself is not echoed back.
    TooLong,
    /// A list or map has more items than allowed.
    TooMany,
    /// The value is not one of an enumerated set.
    NotSupported,
    /// The field may not be set here.
    Forbidden,
    /// The value repeats one that must be unique.
    Duplicate,
}

impl FieldErrorKind {
    /// The human phrase kube prints (`field.ErrorType.String()`).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldErrorKind::Required => "Required value",
            FieldErrorKind::Invalid | FieldErrorKind::TypeInvalid => "Invalid value",
            FieldErrorKind::TooLong => "Too long",
            FieldErrorKind::TooMany => "Too many",
            FieldErrorKind::NotSupported => "Unsupported value",
            FieldErrorKind::Forbidden => "Forbidden",
            FieldErrorKind::Duplicate => "Duplicate value",
        }
    }

    /// The `reason` of a `StatusCause` (`metav1.CauseType`).
    pub fn cause_reason(self) -> &'static str {
        match self {
            FieldErrorKind::Required => "FieldValueRequired",
            FieldErrorKind::Invalid => "FieldValueInvalid",
            FieldErrorKind::TypeInvalid => "FieldValueTypeInvalid",
            FieldErrorKind::TooLong => "FieldValueTooLong",
            FieldErrorKind::TooMany => "FieldValueTooMany",
            FieldErrorKind::NotSupported => "FieldValueNotSupported",
            FieldErrorKind::Forbidden => "FieldValueForbidden",
            FieldErrorKind::Duplicate => "FieldValueDuplicate",
        }
    }
}

impl fmt::Display for FieldErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validation failure, like apimachinery's `field.Error`.
///
/// `value` holds the offending value already rendered the way kube prints it (`"Foo_bar"` with
/// Go quotes for strings, `5` for numbers), so that messages need no further knowledge of its
/// type. Use the constructors rather than filling it by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `metadata.name` or `spec.containers[0].image`.
    pub field: String,
    /// The kind of failure.
    pub kind: FieldErrorKind,
    /// The rendered bad value, or `None` when kube omits it.
    pub value: Option<String>,
    /// Why the value is wrong; may be empty.
    pub detail: String,
}

impl FieldError {
    fn new(field: &str, kind: FieldErrorKind, value: Option<String>, detail: &str) -> Self {
        FieldError {
            field: field.to_string(),
            kind,
            value,
            detail: detail.to_string(),
        }
    }

    /// `Required value`.
    pub fn required(field: &str, detail: &str) -> Self {
        Self::new(field, FieldErrorKind::Required, None, detail)
    }

    /// `Invalid value: "<value>"` for a string value.
    pub fn invalid(field: &str, value: &str, detail: &str) -> Self {
        Self::new(
            field,
            FieldErrorKind::Invalid,
            Some(go_quote(value)),
            detail,
        )
    }

    /// `Invalid value: <value>` for any JSON value (strings are quoted, numbers are not).
    pub fn invalid_json(field: &str, value: &Value, detail: &str) -> Self {
        Self::new(
            field,
            FieldErrorKind::Invalid,
            Some(render_value(value)),
            detail,
        )
    }

    /// `Invalid value: []string{"a", "b"}`, how kube prints a rejected string list.
    pub fn invalid_strings(field: &str, values: &[&str], detail: &str) -> Self {
        Self::new(
            field,
            FieldErrorKind::Invalid,
            Some(render_string_list(values)),
            detail,
        )
    }

    /// `Invalid value: "<type>"` for a value of the wrong JSON type (`field.TypeInvalid`).
    pub fn type_invalid(field: &str, value: &str, detail: &str) -> Self {
        Self::new(
            field,
            FieldErrorKind::TypeInvalid,
            Some(go_quote(value)),
            detail,
        )
    }

    /// `Too long: may not be more than N bytes`; the value is never echoed.
    pub fn too_long(field: &str, max_length: usize) -> Self {
        let unit = if max_length == 1 { "byte" } else { "bytes" };
        let detail = format!("may not be more than {max_length} {unit}");
        Self::new(field, FieldErrorKind::TooLong, None, &detail)
    }

    /// `Too many: <actual>: must have at most <max> items`.
    pub fn too_many(field: &str, actual: usize, max: usize) -> Self {
        let detail = format!("must have at most {max} items");
        Self::new(
            field,
            FieldErrorKind::TooMany,
            Some(actual.to_string()),
            &detail,
        )
    }

    /// `Unsupported value: <value>: supported values: "a", "b"`.
    pub fn not_supported(field: &str, value: &Value, supported: &[String]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(
            field,
            FieldErrorKind::NotSupported,
            Some(render_value(value)),
            &detail,
        )
    }

    /// `Forbidden: <detail>`.
    pub fn forbidden(field: &str, detail: &str) -> Self {
        Self::new(field, FieldErrorKind::Forbidden, None, detail)
    }

    /// `Duplicate value: <value>`.
    pub fn duplicate(field: &str, value: &Value) -> Self {
        Self::new(
            field,
            FieldErrorKind::Duplicate,
            Some(render_value(value)),
            "",
        )
    }

    /// The message without the field path (`field.Error.ErrorBody()`), as used in a
    /// `StatusCause`.
    pub fn body(&self) -> String {
        let mut s = match (&self.kind, &self.value) {
            // kube never echoes these values: they are absent, secret-ish or huge.
            (FieldErrorKind::Required | FieldErrorKind::Forbidden | FieldErrorKind::TooLong, _)
            | (_, None) => self.kind.as_str().to_string(),
            (kind, Some(v)) => format!("{}: {}", kind.as_str(), v),
        };
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.body())
        } else {
            write!(f, "{}: {}", self.field, self.body())
        }
    }
}

impl std::error::Error for FieldError {}

/// Joins errors the way apimachinery's `ErrorList.ToAggregate().Error()` does: duplicates
/// dropped, a single error bare, several as `[a, b]`. Empty input gives an empty string.
pub fn aggregate_message(errors: &[FieldError]) -> String {
    let mut seen = HashSet::new();
    let msgs: Vec<String> = errors
        .iter()
        .map(|e| e.to_string())
        .filter(|m| seen.insert(m.clone()))
        .collect();
    match msgs.len() {
        0 => String::new(),
        1 => msgs.into_iter().next().unwrap_or_default(),
        _ => format!("[{}]", msgs.join(", ")),
    }
}

/// Builds kube-apiserver's 422 `Status` for an invalid object (`errors.NewInvalid`).
///
/// `group` is empty for the core group, in which case it is omitted from the qualified kind
/// and from `details`, as kube's `omitempty` does.
pub fn status_for_invalid(kind: &str, name: &str, group: &str, errors: &[FieldError]) -> Value {
    let qualified_kind = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    let message = if errors.is_empty() {
        format!("{} {} is invalid", qualified_kind, go_quote(name))
    } else {
        format!(
            "{} {} is invalid: {}",
            qualified_kind,
            go_quote(name),
            aggregate_message(errors)
        )
    };
    let causes: Vec<Value> = errors
        .iter()
        .map(|e| {
            let mut cause = Map::new();
            cause.insert("reason".into(), e.kind.cause_reason().into());
            cause.insert("message".into(), e.body().into());
            if !e.field.is_empty() {
                cause.insert("field".into(), e.field.clone().into());
            }
            Value::Object(cause)
        })
        .collect();
    let mut details = Map::new();
    if !name.is_empty() {
        details.insert("name".into(), name.into());
    }
    if !group.is_empty() {
        details.insert("group".into(), group.into());
    }
    if !kind.is_empty() {
        details.insert("kind".into(), kind.into());
    }
    if !causes.is_empty() {
        details.insert("causes".into(), Value::Array(causes));
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Invalid",
        "details": details,
        "code": 422,
    })
}

// ---------------------------------------------------------------------------------------------
// Name formats
// ---------------------------------------------------------------------------------------------

fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let ex: Vec<String> = examples.iter().map(|e| format!("'{e}'")).collect();
    format!(
        "{msg} (e.g. {}, regex used for validation is '{fmt}')",
        ex.join(" or ")
    )
}

fn max_len_error(length: usize) -> String {
    format!("must be no more than {length} characters")
}

const EMPTY_ERROR: &str = "must be non-empty";

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, anchored.
fn matches_dns1123_label(s: &str) -> bool {
    let (Some(first), Some(last)) = (s.chars().next(), s.chars().last()) else {
        return false;
    };
    is_lower_alnum(first)
        && is_lower_alnum(last)
        && s.chars().all(|c| is_lower_alnum(c) || c == '-')
}

/// Dot-separated DNS-1123 labels, anchored.
fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, anchored.
fn matches_qualified_name(s: &str) -> bool {
    let (Some(first), Some(last)) = (s.chars().next(), s.chars().last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Problems with `value` as a DNS-1123 subdomain (most object names); empty means valid.
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_dns1123_subdomain(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// Problems with `value` as a DNS-1123 label (namespace names); empty means valid.
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if !matches_dns1123_label(value) {
        if matches_dns1123_subdomain(value) {
            // A valid subdomain that is not a valid label: the length was checked above, so the
            // only difference left is dots; say so instead of printing a regex.
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR_MSG,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// Problems with `value` as a qualified name: an optional DNS-subdomain prefix and `/`, then a
/// name of at most 63 characters. Label keys, annotation keys and finalizers use this.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push(format!("prefix part {EMPTY_ERROR}"));
            } else {
                errs.extend(
                    is_dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(
                    QUALIFIED_NAME_ERR_MSG,
                    QUALIFIED_NAME_FMT,
                    &["MyName", "my.name", "123-abc"]
                )
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {EMPTY_ERROR}"));
    } else if name.len() > QUALIFIED_NAME_MAX_LENGTH {
        errs.push(format!(
            "name part {}",
            max_len_error(QUALIFIED_NAME_MAX_LENGTH)
        ));
    }
    if !matches_qualified_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_ERR_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// Problems with `value` as a label value (empty, or ≤63 characters of `[A-Za-z0-9_.-]`
/// starting and ending alphanumeric); empty means valid.
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(max_len_error(LABEL_VALUE_MAX_LENGTH));
    }
    if !value.is_empty() && !matches_qualified_name(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// Problems with `value` as a DNS-1035 label (`[a-z]([-a-z0-9]*[a-z0-9])?`, e.g. kinds and
/// service names); empty means valid.
pub fn is_dns1035_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    let ok = value.starts_with(|c: char| c.is_ascii_lowercase()) && matches_dns1123_label(value);
    if !ok {
        errs.push(regex_error(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
            "[a-z]([-a-z0-9]*[a-z0-9])?",
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// Problems with `value` as an object name that has to be a single URL path segment.
pub fn is_valid_path_segment_name(value: &str) -> Vec<String> {
    for bad in [".", ".."] {
        if value == bad {
            return vec![format!("may not be '{bad}'")];
        }
    }
    is_valid_path_segment_prefix(value)
}

fn is_valid_path_segment_prefix(value: &str) -> Vec<String> {
    ["/", "%"]
        .iter()
        .filter(|bad| value.contains(**bad))
        .map(|bad| format!("may not contain '{bad}'"))
        .collect()
}

/// How a kind's object names are validated (kube's `ValidateNameFunc` per registry strategy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// DNS-1123 subdomain: most kinds (Deployment, ConfigMap, CRDs' objects).
    Subdomain,
    /// DNS-1123 label: Namespace, Service and a few others.
    Label,
    /// Anything usable as one URL path segment (e.g. RBAC roles).
    PathSegment,
}

impl NameRule {
    /// Problems with `name`; `prefix` means it is a `generateName` that gets a random suffix, so
    /// a trailing `-` is fine.
    pub fn validate(self, name: &str, prefix: bool) -> Vec<String> {
        let masked;
        let name = if prefix {
            masked = mask_trailing_dash(name);
            masked.as_str()
        } else {
            name
        };
        match self {
            NameRule::Subdomain => is_dns1123_subdomain(name),
            NameRule::Label => is_dns1123_label(name),
            NameRule::PathSegment if prefix => is_valid_path_segment_prefix(name),
            NameRule::PathSegment => is_valid_path_segment_name(name),
        }
    }
}

/// Replaces a trailing `-` of a generateName so the prefix validates like a full name. kube
/// replaces the last *two* bytes with `a` (`name[:len-2] + "a"`); we keep that so the same
/// prefixes are accepted, but never split a multi-byte character.
fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        let mut s = name[..name.len() - 1].to_string();
        if s.ends_with(|c: char| c.is_ascii()) {
            s.pop();
        }
        s.push('a');
        s
    } else {
        name.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// ObjectMeta
// ---------------------------------------------------------------------------------------------

/// Validates an object's `metadata` like kube's `ValidateObjectMeta`: name (required unless
/// `generateName` is set, in which case the server generates one), name format per `name_rule`,
/// generateName, namespace presence and format, generation, labels, annotations (keys and total
/// size), ownerReferences and finalizers. Field paths start with `metadata.`.
pub fn validate_object_meta(
    meta: &Value,
    namespaced: bool,
    name_rule: NameRule,
) -> Vec<FieldError> {
    let namespace = if namespaced {
        NamespaceRule::Required
    } else {
        NamespaceRule::Forbidden
    };
    object_meta_errors(meta, "metadata", namespace, name_rule, true)
}

/// Validates the `metadata` of a resource embedded in another object (CRD fields marked
/// `x-kubernetes-embedded-resource`): the same rules, but name and namespace are optional.
pub fn validate_embedded_object_meta(meta: &Value, path: &str) -> Vec<FieldError> {
    object_meta_errors(
        meta,
        path,
        NamespaceRule::Optional,
        NameRule::Subdomain,
        false,
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum NamespaceRule {
    Required,
    Forbidden,
    Optional,
}

fn object_meta_errors(
    meta: &Value,
    prefix: &str,
    namespace_rule: NamespaceRule,
    name_rule: NameRule,
    name_required: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let p = |k: &str| format!("{prefix}.{k}");
    let Some(m) = meta.as_object() else {
        if meta.is_null() {
            if name_required {
                errs.push(FieldError::required(
                    &p("name"),
                    "name or generateName is required",
                ));
            }
        } else {
            errs.push(FieldError::invalid_json(prefix, meta, "must be an object"));
        }
        return errs;
    };
    let generate_name = string_field(m, "generateName", &p("generateName"), &mut errs);
    let name = string_field(m, "name", &p("name"), &mut errs);
    let namespace = string_field(m, "namespace", &p("namespace"), &mut errs);

    if !generate_name.is_empty() {
        for msg in name_rule.validate(generate_name, true) {
            errs.push(FieldError::invalid(&p("generateName"), generate_name, &msg));
        }
    }
    if name.is_empty() {
        // With generateName the server fills the name in before storing, so it is not missing.
        if generate_name.is_empty() && name_required {
            errs.push(FieldError::required(
                &p("name"),
                "name or generateName is required",
            ));
        }
    } else {
        for msg in name_rule.validate(name, false) {
            errs.push(FieldError::invalid(&p("name"), name, &msg));
        }
    }
    match namespace_rule {
        NamespaceRule::Required if namespace.is_empty() => {
            errs.push(FieldError::required(&p("namespace"), ""));
        }
        NamespaceRule::Forbidden if !namespace.is_empty() => {
            errs.push(FieldError::forbidden(
                &p("namespace"),
                "not allowed on this type",
            ));
        }
        NamespaceRule::Forbidden => {}
        _ if !namespace.is_empty() => {
            for msg in NameRule::Label.validate(namespace, false) {
                errs.push(FieldError::invalid(&p("namespace"), namespace, &msg));
            }
        }
        _ => {}
    }
    if let Some(g) = m.get("generation").filter(|g| !g.is_null()) {
        let negative = g.as_f64().is_some_and(|n| n < 0.0);
        if negative {
            errs.push(FieldError::invalid_json(
                &p("generation"),
                g,
                "must be greater than or equal to 0",
            ));
        }
    }
    if let Some(labels) = m.get("labels") {
        errs.extend(validate_labels(labels, &p("labels")));
    }
    if let Some(annotations) = m.get("annotations") {
        errs.extend(validate_annotations(annotations, &p("annotations")));
    }
    if let Some(refs) = m.get("ownerReferences") {
        errs.extend(validate_owner_references(refs, &p("ownerReferences")));
    }
    if let Some(finalizers) = m.get("finalizers") {
        errs.extend(validate_finalizers(finalizers, &p("finalizers")));
    }
    errs
}

/// Reads an optional string field; `null` counts as absent, other types are an error.
fn string_field<'a>(
    m: &'a Map<String, Value>,
    key: &str,
    path: &str,
    errs: &mut Vec<FieldError>,
) -> &'a str {
    match m.get(key) {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) => s,
        Some(other) => {
            errs.push(FieldError::invalid_json(path, other, "must be a string"));
            ""
        }
    }
}

/// Validates a label map (`map[string]string`): keys are qualified names, values label values.
/// Errors carry `path` itself as the field, like kube.
pub fn validate_labels(labels: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(map) = labels.as_object() else {
        if !labels.is_null() {
            errs.push(FieldError::invalid_json(
                path,
                labels,
                "must be a map of string to string",
            ));
        }
        return errs;
    };
    for (k, v) in map {
        for msg in is_qualified_name(k) {
            errs.push(FieldError::invalid(path, k, &msg));
        }
        match v {
            Value::String(s) => {
                for msg in is_valid_label_value(s) {
                    errs.push(FieldError::invalid(path, s, &msg));
                }
            }
            other => errs.push(FieldError::invalid_json(path, other, "must be a string")),
        }
    }
    errs
}

/// Validates an annotation map: keys are qualified names compared case-insensitively, and the
/// summed size of keys and values is at most 256 KiB.
pub fn validate_annotations(annotations: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(map) = annotations.as_object() else {
        if !annotations.is_null() {
            errs.push(FieldError::invalid_json(
                path,
                annotations,
                "must be a map of string to string",
            ));
        }
        return errs;
    };
    let mut total = 0usize;
    for (k, v) in map {
        // Annotation keys are qualified names except that case does not matter.
        for msg in is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, k, &msg));
        }
        total = total.saturating_add(k.len());
        match v {
            Value::String(s) => total = total.saturating_add(s.len()),
            other => errs.push(FieldError::invalid_json(path, other, "must be a string")),
        }
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES {
        errs.push(FieldError::too_long(
            path,
            TOTAL_ANNOTATION_SIZE_LIMIT_BYTES,
        ));
    }
    errs
}

/// Validates finalizer names (qualified names) and rejects asking for both orphan and
/// foreground deletion.
pub fn validate_finalizers(finalizers: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(list) = finalizers.as_array() else {
        if !finalizers.is_null() {
            errs.push(FieldError::invalid_json(
                path,
                finalizers,
                "must be a list of strings",
            ));
        }
        return errs;
    };
    let mut names = Vec::new();
    for f in list {
        match f.as_str() {
            Some(s) => {
                for msg in is_qualified_name(s) {
                    errs.push(FieldError::invalid(path, s, &msg));
                }
                names.push(s);
            }
            None => errs.push(FieldError::invalid_json(path, f, "must be a string")),
        }
    }
    if names.contains(&FINALIZER_ORPHAN_DEPENDENTS) && names.contains(&FINALIZER_DELETE_DEPENDENTS)
    {
        errs.push(FieldError::invalid_strings(
            path,
            &names,
            &format!(
                "finalizer {FINALIZER_ORPHAN_DEPENDENTS} and {FINALIZER_DELETE_DEPENDENTS} cannot be both set"
            ),
        ));
    }
    errs
}

/// Validates `ownerReferences`: apiVersion with a version, kind, name and uid present, Events
/// never owners, at most one controller. Paths are unindexed, as in kube.
pub fn validate_owner_references(refs: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(list) = refs.as_array() else {
        if !refs.is_null() {
            errs.push(FieldError::invalid_json(path, refs, "must be a list"));
        }
        return errs;
    };
    let mut first_controller: Option<String> = None;
    for r in list {
        let Some(m) = r.as_object() else {
            errs.push(FieldError::invalid_json(path, r, "must be an object"));
            continue;
        };
        let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("");
        let (api_version, kind, name, uid) = (s("apiVersion"), s("kind"), s("name"), s("uid"));
        let version = match api_version.split('/').collect::<Vec<_>>().as_slice() {
            [v] => *v,
            [_, v] => *v,
            _ => "",
        };
        if version.is_empty() {
            errs.push(FieldError::invalid(
                &format!("{path}.apiVersion"),
                api_version,
                "version must not be empty",
            ));
        }
        if kind.is_empty() {
            errs.push(FieldError::invalid(
                &format!("{path}.kind"),
                kind,
                "must not be empty",
            ));
        }
        if name.is_empty() {
            errs.push(FieldError::invalid(
                &format!("{path}.name"),
                name,
                "must not be empty",
            ));
        }
        if uid.is_empty() {
            errs.push(FieldError::invalid(
                &format!("{path}.uid"),
                uid,
                "must not be empty",
            ));
        }
        // An Event as owner would let event churn garbage-collect real objects.
        if api_version == "v1" && kind == "Event" {
            errs.push(FieldError::invalid_json(
                path,
                r,
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if m.get("controller").and_then(Value::as_bool) == Some(true) {
            let current = format!("{kind}/{name}");
            match &first_controller {
                Some(first) => errs.push(FieldError::invalid_json(
                    path,
                    refs,
                    &format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"
                    ),
                )),
                None => first_controller = Some(current),
            }
        }
    }
    errs
}

/// Validates a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions`) like kube's
/// `ValidateLabelSelector`; `path` prefixes the fields (e.g. `spec.selector`, or empty).
pub fn validate_label_selector(selector: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let child = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    let Some(m) = selector.as_object() else {
        if !selector.is_null() {
            errs.push(FieldError::invalid_json(
                path,
                selector,
                "must be an object",
            ));
        }
        return errs;
    };
    if let Some(ml) = m.get("matchLabels") {
        errs.extend(validate_labels(ml, &child("matchLabels")));
    }
    match m.get("matchExpressions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(exprs)) => {
            for (i, expr) in exprs.iter().enumerate() {
                let p = format!("{}[{i}]", child("matchExpressions"));
                errs.extend(validate_selector_requirement(expr, &p));
            }
        }
        Some(other) => errs.push(FieldError::invalid_json(
            &child("matchExpressions"),
            other,
            "must be a list",
        )),
    }
    errs
}

fn validate_selector_requirement(expr: &Value, path: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(m) = expr.as_object() else {
        errs.push(FieldError::invalid_json(path, expr, "must be an object"));
        return errs;
    };
    let values_path = format!("{path}.values");
    let values: Vec<&Value> = match m.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(other) => {
            errs.push(FieldError::invalid_json(
                &values_path,
                other,
                "must be a list of strings",
            ));
            Vec::new()
        }
    };
    match m.get("operator").and_then(Value::as_str) {
        Some("In" | "NotIn") => {
            if values.is_empty() {
                errs.push(FieldError::required(
                    &values_path,
                    "must be specified when `operator` is 'In' or 'NotIn'",
                ));
            }
        }
        Some("Exists" | "DoesNotExist") => {
            if !values.is_empty() {
                errs.push(FieldError::forbidden(
                    &values_path,
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                ));
            }
        }
        _ => {
            let op = m
                .get("operator")
                .cloned()
                .unwrap_or(Value::String(String::new()));
            errs.push(FieldError::invalid_json(
                &format!("{path}.operator"),
                &op,
                "not a valid selector operator",
            ));
        }
    }
    let key_path = format!("{path}.key");
    match m.get("key") {
        Some(Value::String(k)) => {
            for msg in is_qualified_name(k) {
                errs.push(FieldError::invalid(&key_path, k, &msg));
            }
        }
        None | Some(Value::Null) => {
            for msg in is_qualified_name("") {
                errs.push(FieldError::invalid(&key_path, "", &msg));
            }
        }
        Some(other) => errs.push(FieldError::invalid_json(
            &key_path,
            other,
            "must be a string",
        )),
    }
    for (i, v) in values.iter().enumerate() {
        let p = format!("{values_path}[{i}]");
        match v.as_str() {
            Some(s) => {
                for msg in is_valid_label_value(s) {
                    errs.push(FieldError::invalid(&p, s, &msg));
                }
            }
            None => errs.push(FieldError::invalid_json(&p, v, "must be a string")),
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Rendering values the way Go's fmt does in field errors
// ---------------------------------------------------------------------------------------------

/// Quotes like Go's `strconv.Quote` (`%q`), which is how kube prints string values.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0b}' => out.push_str("\\v"),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders a bad value as kube's `field.Error` does for its simple types: strings quoted,
/// numbers and booleans bare, null as `"null"`. Objects and arrays are printed as compact JSON
/// (kube prints Go syntax there, which means nothing to API users).
pub fn render_value(v: &Value) -> String {
    match v {
        Value::Null => go_quote("null"),
        Value::String(s) => go_quote(s),
        Value::Number(n) => render_number(n),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

fn render_number(n: &serde_json::Number) -> String {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
        go_float(f)
    } else {
        n.to_string()
    }
}

/// Formats a float like Go's `%v` (shortest form, exponent outside `[1e-4, 1e21)`).
pub(crate) fn go_float(f: f64) -> String {
    let abs = f.abs();
    if f.is_finite() && (abs == 0.0 || (1e-4..1e21).contains(&abs)) {
        format!("{f}")
    } else if f.is_finite() {
        let s = format!("{f:e}");
        // Rust prints `1e21`, Go `1e+21`.
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    } else if f.is_nan() {
        "NaN".to_string()
    } else if f > 0.0 {
        "+Inf".to_string()
    } else {
        "-Inf".to_string()
    }
}

fn render_string_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|s| go_quote(s)).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBDOMAIN_MSG: &str = r"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    struct NameCase {
        name: &'static str,
        input: String,
        want_valid: bool,
    }

    fn nc(name: &'static str, input: impl Into<String>, want_valid: bool) -> NameCase {
        NameCase {
            name,
            input: input.into(),
            want_valid,
        }
    }

    #[test]
    fn dns1123_subdomain() {
        let cases = [
            nc("simple", "web", true),
            nc("dotted", "my.app-1.example", true),
            nc("digits first", "1abc", true),
            nc("max length", "a".repeat(253), true),
            nc("too long", "a".repeat(254), false),
            nc("empty", "", false),
            nc("uppercase", "Web", false),
            nc("underscore", "foo_bar", false),
            nc("leading dash", "-web", false),
            nc("trailing dot", "web.", false),
            nc("double dot", "a..b", false),
            nc("non-ascii", "wéb", false),
        ];
        for c in cases {
            assert_eq!(
                is_dns1123_subdomain(&c.input).is_empty(),
                c.want_valid,
                "case {}",
                c.name
            );
        }
    }

    #[test]
    fn dns1123_label() {
        let cases = [
            nc("simple", "default", true),
            nc("max", "a".repeat(63), true),
            nc("too long", "a".repeat(64), false),
            nc("dots", "kube.system", false),
            nc("trailing dash", "abc-", false),
            nc("empty", "", false),
        ];
        for c in cases {
            assert_eq!(
                is_dns1123_label(&c.input).is_empty(),
                c.want_valid,
                "case {}",
                c.name
            );
        }
        assert_eq!(
            is_dns1123_label("a.b"),
            vec!["must not contain dots".to_string()]
        );
    }

    #[test]
    fn qualified_names_and_label_values() {
        let cases = [
            nc("plain", "app", true),
            nc("prefixed", "app.kubernetes.io/name", true),
            nc("mixed case", "MyName", true),
            nc("underscore inside", "my_name", true),
            nc("63 chars", "a".repeat(63), true),
            nc("64 chars", "a".repeat(64), false),
            nc("empty", "", false),
            nc("empty prefix", "/name", false),
            nc("bad prefix", "Example.com/name", false),
            nc("two slashes", "a/b/c", false),
            nc("trailing dot", "name.", false),
            nc("space", "my name", false),
        ];
        for c in cases {
            assert_eq!(
                is_qualified_name(&c.input).is_empty(),
                c.want_valid,
                "case {}",
                c.name
            );
        }
        let values = [
            nc("empty ok", "", true),
            nc("plain", "web", true),
            nc("dotted", "v1.2.3", true),
            nc("leading dash", "-1", false),
            nc("slash", "a/b", false),
            nc("64 chars", "a".repeat(64), false),
        ];
        for c in values {
            assert_eq!(
                is_valid_label_value(&c.input).is_empty(),
                c.want_valid,
                "case {}",
                c.name
            );
        }
        assert_eq!(
            is_qualified_name(""),
            vec![
                "name part must be non-empty".to_string(),
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName' or 'my.name' or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".to_string(),
            ]
        );
    }

    #[test]
    fn field_error_display_matches_kube() {
        let e = FieldError::invalid("metadata.name", "Foo_bar", SUBDOMAIN_MSG);
        assert_eq!(
            e.to_string(),
            format!("metadata.name: Invalid value: \"Foo_bar\": {SUBDOMAIN_MSG}")
        );
        assert_eq!(
            FieldError::required("metadata.name", "name or generateName is required").to_string(),
            "metadata.name: Required value: name or generateName is required"
        );
        assert_eq!(
            FieldError::too_long("metadata.annotations", 262144).to_string(),
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
        assert_eq!(
            FieldError::not_supported("spec.color", &json!("pink"), &["red".into(), "1".into()])
                .to_string(),
            "spec.color: Unsupported value: \"pink\": supported values: \"red\", \"1\""
        );
        assert_eq!(
            FieldError::too_many("spec.items", 4, 3).to_string(),
            "spec.items: Too many: 4: must have at most 3 items"
        );
        assert_eq!(
            FieldError::invalid_json(
                "spec.replicas",
                &json!(-1),
                "must be greater than or equal to 0"
            )
            .to_string(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(go_quote("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\x01""#);
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(5.0), "5");
        assert_eq!(go_float(1e21), "1e+21");
    }

    struct MetaCase {
        name: &'static str,
        meta: Value,
        namespaced: bool,
        rule: NameRule,
        want: Vec<&'static str>,
    }

    #[test]
    fn object_meta() {
        let big = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES);
        let cases = vec![
            MetaCase {
                name: "valid namespaced",
                meta: json!({"name": "web", "namespace": "default", "labels": {"app": "web"},
                             "annotations": {"Example.com/Note": "x"}, "finalizers": ["example.com/f"]}),
                namespaced: true,
                rule: NameRule::Subdomain,
                want: vec![],
            },
            MetaCase {
                name: "generateName stands in for name",
                meta: json!({"generateName": "web-", "namespace": "default"}),
                namespaced: true,
                rule: NameRule::Subdomain,
                want: vec![],
            },
            MetaCase {
                name: "name required",
                meta: json!({"namespace": "default"}),
                namespaced: true,
                rule: NameRule::Subdomain,
                want: vec!["metadata.name: Required value: name or generateName is required"],
            },
            MetaCase {
                name: "bad name",
                meta: json!({"name": "Foo_bar", "namespace": "default"}),
                namespaced: true,
                rule: NameRule::Subdomain,
                want: vec![
                    "metadata.name: Invalid value: \"Foo_bar\": a lowercase RFC 1123 subdomain",
                ],
            },
            MetaCase {
                name: "label rule rejects dots",
                meta: json!({"name": "a.b"}),
                namespaced: false,
                rule: NameRule::Label,
                want: vec!["metadata.name: Invalid value: \"a.b\": must not contain dots"],
            },
            MetaCase {
                name: "path segment",
                meta: json!({"name": "a/b"}),
                namespaced: false,
                rule: NameRule::PathSegment,
                want: vec!["metadata.name: Invalid value: \"a/b\": may not contain '/'"],
            },
            MetaCase {
                name: "namespace required",
                meta: json!({"name": "web"}),
                namespaced: true,
                rule: NameRule::Subdomain,
                want: vec!["metadata.namespace: Required value"],
            },
            MetaCase {
                name: "namespace forbidden on cluster-scoped",
                meta: json!({"name": "web", "namespace": "default"}),
                namespaced: false,
                rule: NameRule::Subdomain,
                want: vec!["metadata.namespace: Forbidden: not allowed on this type"],
            },
            MetaCase {
                name: "bad namespace",
                meta: json!({"name": "web", "namespace": "Kube_System"}),
                namespaced: true,
                rule: NameRule::Subdomain,
                want: vec![
                    "metadata.namespace: Invalid value: \"Kube_System\": a lowercase RFC 1123 label",
                ],
            },
            MetaCase {
                name: "bad label key and value",
                meta: json!({"name": "web", "labels": {"-bad": "ok", "good": "-bad"}}),
                namespaced: false,
                rule: NameRule::Subdomain,
                want: vec![
                    "metadata.labels: Invalid value: \"-bad\": name part must consist of",
                    "metadata.labels: Invalid value: \"-bad\": a valid label must be",
                ],
            },
            MetaCase {
                name: "annotations too large",
                meta: json!({"name": "web", "annotations": {"a": big}}),
                namespaced: false,
                rule: NameRule::Subdomain,
                want: vec!["metadata.annotations: Too long: may not be more than 262144 bytes"],
            },
            MetaCase {
                name: "bad finalizer and conflicting finalizers",
                meta: json!({"name": "web", "finalizers": ["bad finalizer", "orphan", "foregroundDeletion"]}),
                namespaced: false,
                rule: NameRule::Subdomain,
                want: vec![
                    "metadata.finalizers: Invalid value: \"bad finalizer\": name part must consist of",
                    "metadata.finalizers: Invalid value: []string{\"bad finalizer\", \"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set",
                ],
            },
            MetaCase {
                name: "owner references",
                meta: json!({"name": "web", "ownerReferences": [
                    {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "1", "controller": true},
                    {"apiVersion": "apps/", "kind": "ReplicaSet", "name": "rs2", "uid": "2", "controller": true}]}),
                namespaced: false,
                rule: NameRule::Subdomain,
                want: vec![
                    "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty",
                    "metadata.ownerReferences: Invalid value: [",
                ],
            },
            MetaCase {
                name: "wrong types do not panic",
                meta: json!({"name": 5, "labels": ["x"], "generation": -1}),
                namespaced: false,
                rule: NameRule::Subdomain,
                want: vec![
                    "metadata.name: Invalid value: 5: must be a string",
                    "metadata.name: Required value",
                    "metadata.generation: Invalid value: -1: must be greater than or equal to 0",
                    "metadata.labels: Invalid value: [\"x\"]: must be a map of string to string",
                ],
            },
        ];
        for c in cases {
            let got: Vec<String> = validate_object_meta(&c.meta, c.namespaced, c.rule)
                .iter()
                .map(|e| e.to_string())
                .collect();
            assert_eq!(got.len(), c.want.len(), "case {}: got {got:#?}", c.name);
            for (g, w) in got.iter().zip(&c.want) {
                assert!(
                    g.starts_with(w),
                    "case {}: got {g:?}, want prefix {w:?}",
                    c.name
                );
            }
        }
    }

    #[test]
    fn status_for_invalid_is_kube_shaped() {
        let errs = validate_object_meta(
            &json!({"name": "Foo_bar", "namespace": "default"}),
            true,
            NameRule::Subdomain,
        );
        let status = status_for_invalid("Deployment", "Foo_bar", "apps", &errs);
        let want = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": format!("Deployment.apps \"Foo_bar\" is invalid: metadata.name: Invalid value: \"Foo_bar\": {SUBDOMAIN_MSG}"),
            "reason": "Invalid",
            "details": {
                "name": "Foo_bar",
                "group": "apps",
                "kind": "Deployment",
                "causes": [{
                    "reason": "FieldValueInvalid",
                    "message": format!("Invalid value: \"Foo_bar\": {SUBDOMAIN_MSG}"),
                    "field": "metadata.name",
                }],
            },
            "code": 422,
        });
        assert_eq!(status, want);
        // Key order is part of the wire format kubectl users see with -v8.
        let keys: Vec<&String> = status
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "kind",
                "apiVersion",
                "metadata",
                "status",
                "message",
                "reason",
                "details",
                "code"
            ]
        );

        // Core group: no group in the message or details; several errors are bracketed.
        let errs = vec![
            FieldError::required("metadata.name", "name or generateName is required"),
            FieldError::forbidden("metadata.namespace", "not allowed on this type"),
        ];
        let status = status_for_invalid("ConfigMap", "", "", &errs);
        assert_eq!(
            status["message"],
            "ConfigMap \"\" is invalid: [metadata.name: Required value: name or generateName is required, metadata.namespace: Forbidden: not allowed on this type]"
        );
        assert_eq!(
            status["details"],
            json!({"kind": "ConfigMap", "causes": [
                {"reason": "FieldValueRequired", "message": "Required value: name or generateName is required", "field": "metadata.name"},
                {"reason": "FieldValueForbidden", "message": "Forbidden: not allowed on this type", "field": "metadata.namespace"},
            ]})
        );
    }

    #[test]
    fn label_selector_validation_names_fields() {
        let sel = json!({"matchLabels": {"app": "web"}, "matchExpressions": [
            {"key": "tier", "operator": "In"},
            {"key": "env", "operator": "Exists", "values": ["x"]},
            {"key": "k", "operator": "Bogus"},
        ]});
        let got: Vec<String> = validate_label_selector(&sel, "spec.selector")
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            got,
            vec![
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                "spec.selector.matchExpressions[2].operator: Invalid value: \"Bogus\": not a valid selector operator",
            ]
        );
    }

    #[test]
    fn generate_name_masks_trailing_dash() {
        assert!(NameRule::Subdomain.validate("web-", true).is_empty());
        assert!(!NameRule::Subdomain.validate("web-", false).is_empty());
        assert!(!NameRule::Subdomain.validate("é-", true).is_empty());
        assert!(NameRule::PathSegment.validate("..", true).is_empty());
    }
}
