//! Validation of Cluster, as Karmada's aggregated apiserver does it
//! (`pkg/apis/cluster/validation`).

use std::collections::{BTreeMap, BTreeSet};

use super::k8s::{dns1123_label_errors, label_value_errors, validate_label_name};
use super::taint::TAINT_EFFECTS;
use super::{FieldPath, FieldViolation};
use crate::cluster::v1alpha1::{Cluster, ClusterSpec, ClusterSyncMode, ResourceModel};

/// The longest cluster name: the name becomes part of the execution namespace
/// `karmada-es-<name>`, which must stay a valid namespace name.
const CLUSTER_NAME_MAX_LENGTH: usize = 48;

/// Messages for an invalid cluster name (a DNS-1123 label of at most 48 characters); empty
/// when it is valid.
pub fn validate_cluster_name(name: &str) -> Vec<String> {
    if name.is_empty() {
        return vec!["must be not empty".to_owned()];
    }
    if name.len() > CLUSTER_NAME_MAX_LENGTH {
        return vec![format!(
            "must be no more than {CLUSTER_NAME_MAX_LENGTH} characters"
        )];
    }
    dns1123_label_errors(name)
}

/// Validates a Cluster: its name and its spec.
pub fn validate_cluster(cluster: &Cluster) -> Vec<FieldViolation> {
    let name = cluster.metadata.name.as_deref().unwrap_or_default();
    let mut violations: Vec<FieldViolation> = validate_cluster_name(name)
        .into_iter()
        .map(|msg| FieldViolation::invalid(&FieldPath::new("metadata").child("name"), name, msg))
        .collect();
    violations.extend(validate_cluster_spec(&cluster.spec));
    violations
}

/// Validates a ClusterSpec: sync mode, endpoint and proxy URLs, secret references, topology
/// fields, taints and resource models.
pub fn validate_cluster_spec(spec: &ClusterSpec) -> Vec<FieldViolation> {
    let path = FieldPath::new("spec");
    let mut violations = Vec::new();

    if spec.sync_mode.is_none() {
        violations.push(FieldViolation::required(
            &path.child("syncMode"),
            format!(
                "supported values: {:?}, {:?}",
                ClusterSyncMode::Pull.as_str(),
                ClusterSyncMode::Push.as_str()
            ),
        ));
    }
    if let Some(endpoint) = spec.api_endpoint.as_deref().filter(|e| !e.is_empty()) {
        violations.extend(validate_api_endpoint(endpoint, &path.child("apiEndpoint")));
    }
    for (name, reference) in [
        ("secretRef", &spec.secret_ref),
        ("impersonatorSecretRef", &spec.impersonator_secret_ref),
    ] {
        if let Some(reference) = reference {
            if reference.namespace.is_empty() {
                violations.push(FieldViolation::required(
                    &path.child(name).child("namespace"),
                    "",
                ));
            }
            if reference.name.is_empty() {
                violations.push(FieldViolation::required(
                    &path.child(name).child("name"),
                    "",
                ));
            }
        }
    }
    if let Some(proxy) = spec.proxy_url.as_deref().filter(|p| !p.is_empty()) {
        let scheme = proxy.split_once("://").map(|(scheme, _)| scheme);
        if !matches!(scheme, Some("http" | "https" | "socks5")) {
            violations.push(FieldViolation::invalid(
                &path.child("proxyURL"),
                proxy,
                format!(
                    "unsupported scheme {:?}, must be http, https, or socks5",
                    scheme.unwrap_or_default()
                ),
            ));
        }
    }

    for (name, value) in [("provider", &spec.provider), ("region", &spec.region)] {
        if let Some(value) = value {
            let errors = label_value_errors(value);
            if !errors.is_empty() {
                violations.push(FieldViolation::invalid(
                    &path.child(name),
                    value,
                    errors.join("; "),
                ));
            }
        }
    }
    let zone = spec.zone.as_deref().unwrap_or_default();
    if !zone.is_empty() && !spec.zones.is_empty() {
        violations.push(FieldViolation::forbidden(
            &path.child("zone"),
            "zone and zones cannot co-exist",
        ));
    } else {
        let zones = std::iter::once(zone)
            .filter(|z| !z.is_empty())
            .map(|z| (path.child("zone"), z))
            .chain(
                spec.zones
                    .iter()
                    .enumerate()
                    .map(|(i, z)| (path.child("zones").index(i), z.as_str())),
            );
        for (zone_path, zone) in zones {
            let errors = label_value_errors(zone);
            if !errors.is_empty() {
                violations.push(FieldViolation::invalid(&zone_path, zone, errors.join("; ")));
            }
        }
    }

    let taints_path = path.child("taints");
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (i, taint) in spec.taints.iter().enumerate() {
        let taint_path = taints_path.index(i);
        violations.extend(validate_label_name(&taint.key, &taint_path.child("key")));
        if let Some(value) = &taint.value {
            let errors = label_value_errors(value);
            if !errors.is_empty() {
                violations.push(FieldViolation::invalid(
                    &taint_path.child("value"),
                    value,
                    errors.join(";"),
                ));
            }
        }
        if taint.effect.is_empty() {
            violations.push(FieldViolation::required(&taint_path.child("effect"), ""));
        } else if !TAINT_EFFECTS.contains(&taint.effect.as_str()) {
            violations.push(FieldViolation::not_supported(
                &taint_path.child("effect"),
                &taint.effect,
                TAINT_EFFECTS,
            ));
        }
        if !seen.entry(&taint.effect).or_default().insert(&taint.key) {
            violations.push(FieldViolation::duplicate(
                &taint_path,
                format!(
                    "taints must be unique by key and effect pair: {}:{}",
                    taint.key, taint.effect
                ),
            ));
        }
    }

    if let Some(violation) =
        validate_resource_models(&spec.resource_models, &path.child("resourceModels"))
    {
        violations.push(violation);
    }
    violations
}

/// The apiEndpoint must be a URL with a scheme and a host, and without user information,
/// query or fragment.
fn validate_api_endpoint(endpoint: &str, path: &FieldPath) -> Vec<FieldViolation> {
    const FORM: &str =
        "; desired format: https://hostname, https://hostname:port, https://IP or https://IP:port";
    let mut violations = Vec::new();
    let scheme_ok = |scheme: &str| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    };
    let Some((_, rest)) = endpoint.split_once("://").filter(|(s, _)| scheme_ok(s)) else {
        violations.push(FieldViolation::invalid(
            path,
            endpoint,
            format!("host must be provided{FORM}"),
        ));
        return violations;
    };
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.rsplit_once('@') {
        Some((user, host)) => {
            violations.push(FieldViolation::invalid(
                path,
                user,
                "user information is not permitted in the URL",
            ));
            host
        }
        None => authority,
    };
    if host.is_empty() {
        violations.push(FieldViolation::invalid(
            path,
            host,
            format!("host must be provided{FORM}"),
        ));
    }
    if !fragment.is_empty() {
        violations.push(FieldViolation::invalid(
            path,
            fragment,
            "fragments are not permitted in the URL",
        ));
    }
    if !query.is_empty() {
        violations.push(FieldViolation::invalid(
            path,
            query,
            "query parameters are not permitted in the URL",
        ));
    }
    violations
}

/// The structural rules of resource models: distinct grades, the same resources in the same
/// order in every grade. (The numeric rules on min/max need quantity arithmetic and are left to
/// the component that interprets the models.)
fn validate_resource_models(models: &[ResourceModel], path: &FieldPath) -> Option<FieldViolation> {
    for (i, model) in models.iter().enumerate().skip(1) {
        let previous = &models[i - 1];
        if model.grade == previous.grade {
            return Some(FieldViolation::invalid(
                &path.index(i).child("grade"),
                model.grade,
                "The grade of each models should not be the same",
            ));
        }
        if model.ranges.len() != previous.ranges.len() {
            return Some(FieldViolation::invalid(
                &path.index(i).child("ranges"),
                model.ranges.len(),
                "The number of resource types should be the same",
            ));
        }
        for (j, range) in model.ranges.iter().enumerate() {
            if range.name != previous.ranges[j].name {
                return Some(FieldViolation::invalid(
                    &path.index(i).child("ranges").index(j).child("name"),
                    &range.name,
                    "The resource types of each models should be the same",
                ));
            }
        }
    }
    None
}
