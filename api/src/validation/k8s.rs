//! The Kubernetes name and value checks Karmada's validation relies on
//! (`k8s.io/apimachinery/pkg/util/validation`), with the same limits and messages, written
//! without a regex engine to keep this crate light.

use std::collections::BTreeMap;

use super::{FieldPath, FieldViolation};

const QUALIFIED_NAME_MAX_LENGTH: usize = 63;
const LABEL_VALUE_MAX_LENGTH: usize = 63;
const DNS1123_LABEL_MAX_LENGTH: usize = 63;
const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

const QUALIFIED_NAME_FORMAT: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_FORMAT: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const DNS1123_LABEL_FORMAT: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_FORMAT: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, the name part of a qualified name and a
/// non-empty label value.
fn is_qualified_name_part(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
fn is_dns1123_label_format(s: &str) -> bool {
    let bytes = s.as_bytes();
    let lower_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    lower_alnum(first) && lower_alnum(last) && bytes.iter().all(|b| lower_alnum(b) || *b == b'-')
}

/// Messages for a value that is not a qualified name (`[prefix/]name`, the format of label
/// keys, annotation keys and taint keys); empty when it is one.
pub(crate) fn qualified_name_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errors.push("prefix part must be non-empty".to_owned());
            } else {
                errors.extend(
                    dns1123_subdomain_errors(prefix)
                        .into_iter()
                        .map(|msg| format!("prefix part {msg}")),
                );
            }
            *name
        }
        _ => {
            errors.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                &QUALIFIED_NAME_FORMAT["name part ".len()..]
            ));
            return errors;
        }
    };
    if name.is_empty() {
        errors.push("name part must be non-empty".to_owned());
    } else if name.len() > QUALIFIED_NAME_MAX_LENGTH {
        errors.push(format!(
            "name part must be no more than {QUALIFIED_NAME_MAX_LENGTH} characters"
        ));
    }
    if !name.is_empty() && !is_qualified_name_part(name) {
        errors.push(QUALIFIED_NAME_FORMAT.to_owned());
    }
    errors
}

/// Messages for a value that is not a valid label value; empty when it is one.
pub(crate) fn label_value_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errors.push(format!(
            "must be no more than {LABEL_VALUE_MAX_LENGTH} characters"
        ));
    }
    if !value.is_empty() && !is_qualified_name_part(value) {
        errors.push(LABEL_VALUE_FORMAT.to_owned());
    }
    errors
}

/// Messages for a value that is not an RFC 1123 label; empty when it is one.
pub(crate) fn dns1123_label_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errors.push(format!(
            "must be no more than {DNS1123_LABEL_MAX_LENGTH} characters"
        ));
    }
    if !is_dns1123_label_format(value) {
        errors.push(DNS1123_LABEL_FORMAT.to_owned());
    }
    errors
}

/// Messages for a value that is not an RFC 1123 subdomain; empty when it is one.
pub(crate) fn dns1123_subdomain_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errors.push(format!(
            "must be no more than {DNS1123_SUBDOMAIN_MAX_LENGTH} characters"
        ));
    }
    if !value.split('.').all(is_dns1123_label_format) {
        errors.push(DNS1123_SUBDOMAIN_FORMAT.to_owned());
    }
    errors
}

/// Whether a string is acceptable where Karmada expects a JSON pointer: empty (the whole
/// document) or starting with `/` (what `go-openapi/jsonpointer` checks).
pub(crate) fn is_json_pointer(value: &str) -> bool {
    value.is_empty() || value.starts_with('/')
}

/// One violation per problem of a label key (`metav1validation.ValidateLabelName`).
pub(crate) fn validate_label_name(value: &str, path: &FieldPath) -> Vec<FieldViolation> {
    qualified_name_errors(value)
        .into_iter()
        .map(|msg| FieldViolation::invalid(path, value, msg))
        .collect()
}

/// Validates a label map: keys are qualified names, values label values.
pub(crate) fn validate_labels(
    labels: &BTreeMap<String, String>,
    path: &FieldPath,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    for (key, value) in labels {
        violations.extend(validate_label_name(key, path));
        for msg in label_value_errors(value) {
            violations.push(FieldViolation::invalid(path, value, msg));
        }
    }
    violations
}

/// Validates an annotation map: keys are qualified names (checked lowercased) and the total
/// size is at most 256 KiB.
pub(crate) fn validate_annotations(
    annotations: &BTreeMap<String, String>,
    path: &FieldPath,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    let mut total = 0;
    for (key, value) in annotations {
        for msg in qualified_name_errors(&key.to_lowercase()) {
            violations.push(FieldViolation::invalid(path, key, msg));
        }
        total += key.len() + value.len();
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        violations.push(FieldViolation::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names() {
        struct Case {
            value: &'static str,
            ok: bool,
        }
        let cases = [
            Case {
                value: "app",
                ok: true,
            },
            Case {
                value: "App.Name_1-x",
                ok: true,
            },
            Case {
                value: "example.com/app",
                ok: true,
            },
            Case {
                value: "a/b/c",
                ok: false,
            },
            Case {
                value: "/app",
                ok: false,
            },
            Case {
                value: "Example.com/app",
                ok: false,
            },
            Case {
                value: "example.com/",
                ok: false,
            },
            Case {
                value: "-app",
                ok: false,
            },
            Case {
                value: "app_",
                ok: false,
            },
            Case {
                value: "",
                ok: false,
            },
            Case {
                value: "has space",
                ok: false,
            },
        ];
        for case in cases {
            assert_eq!(
                qualified_name_errors(case.value).is_empty(),
                case.ok,
                "case {:?}: {:?}",
                case.value,
                qualified_name_errors(case.value)
            );
        }
        assert!(!qualified_name_errors(&"a".repeat(64)).is_empty());
        assert!(qualified_name_errors(&"a".repeat(63)).is_empty());
    }

    #[test]
    fn label_values_and_dns_labels() {
        assert!(label_value_errors("").is_empty());
        assert!(label_value_errors("us-east-1").is_empty());
        assert!(!label_value_errors("us east").is_empty());
        assert!(!label_value_errors(&"a".repeat(64)).is_empty());
        assert!(dns1123_label_errors("member-1").is_empty());
        assert!(!dns1123_label_errors("Member1").is_empty());
        assert!(!dns1123_label_errors("member.1").is_empty());
        assert!(!dns1123_label_errors("").is_empty());
        assert!(dns1123_subdomain_errors("example.com").is_empty());
        assert!(!dns1123_subdomain_errors("example..com").is_empty());
        assert!(is_json_pointer(""));
        assert!(is_json_pointer("/spec/replicas"));
        assert!(!is_json_pointer("spec/replicas"));
    }
}
