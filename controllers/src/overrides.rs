//! Override policies: OverridePolicy and ClusterOverridePolicy applied to a manifest for one
//! cluster, in Karmada's order, with every overrider (`pkg/util/overridemanager`).
//!
//! # Order
//!
//! 1. ClusterOverridePolicies that select the resource (no `resourceSelectors` selects
//!    everything), then — for namespaced resources only — the OverridePolicies of the resource's
//!    namespace. The OverridePolicies are matched against the manifest as the cluster-wide ones
//!    left it.
//! 2. Within each kind, policies sorted by implicit priority ascending (a policy without
//!    selectors counts as a kind-wide match; otherwise the best of its selectors: kind-wide, then
//!    label selector, then name), then by name, so the more specific policy applies later and
//!    wins.
//! 3. Within a policy, every rule whose `targetCluster` matches the cluster (no targetCluster
//!    matches all), in list order. The deprecated top-level `targetCluster` + `overriders` count
//!    as one rule when `overrideRules` is empty.
//! 4. Within a rule: imageOverrider → commandOverrider → argsOverrider → labelsOverrider →
//!    annotationsOverrider → fieldOverrider → plaintext.
//!
//! Without a predicate, the image overrider — like the command and args overriders — reaches the
//! `containers` (not `initContainers`) of Pods, ReplicaSets, Deployments, DaemonSets, StatefulSets
//! and Jobs, recognized by kind, exactly as Karmada does; anything else (a CronJob's job
//! template, init containers, custom resources) takes an image overrider with a predicate path or
//! a plaintext patch.
//!
//! What was applied is returned for the Work annotations `policy.karmada.io/applied-overrides`
//! and `policy.karmada.io/applied-cluster-overrides`, as Karmada records them: a JSON list of
//! `{"policyName", "overriders"}`, one entry per applied rule, sorted by policy name.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use flotilla_api::labels;
use flotilla_api::policy::v1alpha1::{
    CommandArgsOverrider, FieldOverrider, ImageComponent, ImageOverrider, LabelAnnotationOverrider,
    OverrideSpec, OverriderOperator, Overriders, PlaintextOverrider,
};
use flotilla_api::{Cluster, ClusterOverridePolicy, OverridePolicy};
use flotilla_scheduler::ClusterInput;
use flotilla_scheduler::affinity::AffinityMatcher;
use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::detector::matching::{Claims, CompiledSelector, ImplicitPriority, Template};

/// Why an overrider could not be applied; names the overrider and the path it failed at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{overrider} at {path:?}: {reason}")]
pub struct OverriderError {
    /// The overrider, e.g. `imageOverrider[0]`.
    pub overrider: String,
    /// The JSON pointer it failed at.
    pub path: String,
    /// What went wrong.
    pub reason: String,
}

/// Why the overrides of a manifest could not be applied for a cluster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "failed to apply {policy} for cluster {cluster}: {source}; fix the policy (the Work for this cluster is not updated until then)"
)]
pub struct OverrideError {
    /// The policy, e.g. `ClusterOverridePolicy registry` or `OverridePolicy default/nginx`.
    pub policy: String,
    /// The target cluster.
    pub cluster: String,
    /// The overrider that failed.
    #[source]
    pub source: OverriderError,
}

/// One applied rule, as recorded in the Work annotations.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedOverride {
    /// The policy's name.
    pub policy_name: String,
    /// The rule's overriders.
    pub overriders: Overriders,
}

/// What [`apply_overrides`] applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppliedOverrides {
    /// Rules of ClusterOverridePolicies, in the order they were applied.
    pub cluster: Vec<AppliedOverride>,
    /// Rules of OverridePolicies, in the order they were applied.
    pub namespaced: Vec<AppliedOverride>,
}

impl AppliedOverrides {
    /// Whether nothing was applied.
    pub fn is_empty(&self) -> bool {
        self.cluster.is_empty() && self.namespaced.is_empty()
    }

    /// The Work annotations recording what was applied (none for a kind that applied nothing).
    pub fn annotations(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (key, items) in [
            (labels::APPLIED_CLUSTER_OVERRIDES, &self.cluster),
            (labels::APPLIED_OVERRIDES, &self.namespaced),
        ] {
            if let Some(json) = record(items) {
                out.insert(key.to_owned(), json);
            }
        }
        out
    }
}

/// Karmada's record of applied rules: sorted by policy name (stable, so the rules of one
/// policy keep their order), as a JSON list.
fn record(items: &[AppliedOverride]) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    let mut sorted: Vec<&AppliedOverride> = items.iter().collect();
    sorted.sort_by(|a, b| a.policy_name.cmp(&b.policy_name));
    serde_json::to_string(&sorted).ok()
}

// ----- compiled policies --------------------------------------------------------------------------

/// One override rule, its target compiled.
#[derive(Debug, Clone)]
struct CompiledRule {
    /// `None` matches every cluster.
    target: Option<AffinityMatcher>,
    overriders: Overriders,
}

/// An OverridePolicy or ClusterOverridePolicy prepared for matching: selectors and cluster
/// affinities compiled once.
#[derive(Debug, Clone)]
pub struct CompiledOverridePolicy {
    /// The namespace of an OverridePolicy; `None` for a ClusterOverridePolicy.
    pub namespace: Option<String>,
    /// The policy's name.
    pub name: String,
    /// The spec it was compiled from (to tell whether an update changed anything).
    pub spec: OverrideSpec,
    selectors: Vec<CompiledSelector>,
    rules: Vec<CompiledRule>,
}

impl CompiledOverridePolicy {
    /// Compiles a ClusterOverridePolicy.
    pub fn cluster(policy: &ClusterOverridePolicy) -> Self {
        Self::compile(None, policy.metadata.name.clone(), &policy.spec)
    }

    /// Compiles an OverridePolicy.
    pub fn namespaced(policy: &OverridePolicy) -> Self {
        Self::compile(
            Some(policy.metadata.namespace.clone().unwrap_or_default()),
            policy.metadata.name.clone(),
            &policy.spec,
        )
    }

    fn compile(namespace: Option<String>, name: Option<String>, spec: &OverrideSpec) -> Self {
        let rules = spec
            .effective_rules()
            .into_iter()
            .map(|rule| CompiledRule {
                target: rule.target_cluster.as_ref().map(|affinity| {
                    AffinityMatcher::compile(&flotilla_scheduler::from_api::cluster_affinity(
                        affinity,
                    ))
                }),
                overriders: rule.overriders,
            })
            .collect();
        CompiledOverridePolicy {
            namespace,
            name: name.unwrap_or_default(),
            spec: spec.clone(),
            selectors: spec
                .resource_selectors
                .iter()
                .map(CompiledSelector::new)
                .collect(),
            rules,
        }
    }

    /// How the policy is called in errors and logs.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("OverridePolicy {ns}/{}", self.name),
            None => format!("ClusterOverridePolicy {}", self.name),
        }
    }

    /// The policy's implicit priority for a resource, `None` when it does not select it.
    fn priority(&self, resource: &Template<'_>) -> Option<ImplicitPriority> {
        if self.selectors.is_empty() {
            return Some(ImplicitPriority::MatchAll);
        }
        self.selectors
            .iter()
            .map(|s| s.priority(resource))
            .max()
            .filter(|p| *p > ImplicitPriority::MisMatch)
    }

    /// Whether the policy may select the resource. Without the resource's labels (`None`), a
    /// label selector is assumed to match, so callers deciding what to re-examine never miss
    /// one.
    pub fn may_select(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        resource_labels: Option<&BTreeMap<String, String>>,
    ) -> bool {
        if self.namespace.as_deref().is_some_and(|ns| ns != namespace) {
            return false;
        }
        if self.selectors.is_empty() {
            return true;
        }
        let claims = Claims::default();
        match resource_labels {
            Some(labels) => self
                .priority(&Template {
                    api_version,
                    kind,
                    namespace,
                    name,
                    labels,
                    claims: &claims,
                })
                .is_some(),
            None => self.spec.resource_selectors.iter().any(|s| {
                s.api_version == api_version
                    && s.kind == kind
                    && s.namespace().is_none_or(|ns| ns == namespace)
                    && s.name().is_none_or(|n| n == name)
            }),
        }
    }

    /// Whether some rule of the policy targets clusters by more than name, so that a change of
    /// a cluster's labels or topology can change what it does.
    pub fn depends_on_cluster_fields(&self) -> bool {
        self.spec.effective_rules().iter().any(|rule| {
            rule.target_cluster
                .as_ref()
                .is_some_and(|t| t.label_selector.is_some() || t.field_selector.is_some())
        })
    }
}

/// The cluster as override matching sees it (name, labels, provider, region, zones).
pub fn cluster_input(cluster: &Cluster) -> ClusterInput {
    let (mut input, _) = flotilla_scheduler::from_api::cluster_lenient(cluster);
    // Capacity plays no part in targetCluster matching.
    input.resource_summary = None;
    input
}

/// The rules of `policies` that apply to the manifest in `cluster`, in application order.
fn matching_rules<'p>(
    policies: &'p [Arc<CompiledOverridePolicy>],
    manifest: &Value,
    cluster: &ClusterInput,
) -> Vec<(&'p CompiledOverridePolicy, &'p Overriders)> {
    let api_version = str_at(manifest, "/apiVersion");
    let kind = str_at(manifest, "/kind");
    let namespace = str_at(manifest, "/metadata/namespace");
    let name = str_at(manifest, "/metadata/name");
    let resource_labels = string_map(manifest.pointer("/metadata/labels"));
    let claims = Claims::default();
    let template = Template {
        api_version,
        kind,
        namespace,
        name,
        labels: &resource_labels,
        claims: &claims,
    };
    let mut selected: Vec<(ImplicitPriority, &CompiledOverridePolicy)> = policies
        .iter()
        .filter_map(|p| p.priority(&template).map(|prio| (prio, p.as_ref())))
        .collect();
    selected.sort_by(|(pa, a), (pb, b)| pa.cmp(pb).then_with(|| a.name.cmp(&b.name)));
    selected
        .into_iter()
        .flat_map(|(_, policy)| {
            policy
                .rules
                .iter()
                .filter(|rule| rule.target.as_ref().is_none_or(|t| t.matches(cluster)))
                .map(move |rule| (policy, &rule.overriders))
        })
        .collect()
}

/// Applies the override policies to `manifest` for `cluster`, in Karmada's order (see the
/// module docs). `namespaced_policies` are only consulted for a namespaced manifest, and only
/// those of its namespace apply. On error the manifest is left partly overridden and must not
/// be used.
pub fn apply_overrides(
    manifest: &mut Value,
    cluster: &ClusterInput,
    cluster_policies: &[Arc<CompiledOverridePolicy>],
    namespaced_policies: &[Arc<CompiledOverridePolicy>],
) -> Result<AppliedOverrides, OverrideError> {
    let mut applied = AppliedOverrides::default();
    let fail = |policy: &CompiledOverridePolicy, source| OverrideError {
        policy: policy.display_name(),
        cluster: cluster.name.clone(),
        source,
    };
    for (policy, overriders) in matching_rules(cluster_policies, manifest, cluster) {
        apply_overriders(manifest, overriders).map_err(|e| fail(policy, e))?;
        applied.cluster.push(AppliedOverride {
            policy_name: policy.name.clone(),
            overriders: overriders.clone(),
        });
    }
    let namespace = str_at(manifest, "/metadata/namespace").to_owned();
    if !namespace.is_empty() {
        let own: Vec<Arc<CompiledOverridePolicy>> = namespaced_policies
            .iter()
            .filter(|p| p.namespace.as_deref() == Some(namespace.as_str()))
            .cloned()
            .collect();
        for (policy, overriders) in matching_rules(&own, manifest, cluster) {
            apply_overriders(manifest, overriders).map_err(|e| fail(policy, e))?;
            applied.namespaced.push(AppliedOverride {
                policy_name: policy.name.clone(),
                overriders: overriders.clone(),
            });
        }
    }
    Ok(applied)
}

/// Applies one rule's overriders to `manifest` in Karmada's fixed order.
pub fn apply_overriders(
    manifest: &mut Value,
    overriders: &Overriders,
) -> Result<(), OverriderError> {
    for (i, o) in overriders.image_overrider.iter().enumerate() {
        apply_image(manifest, o, i)?;
    }
    for (i, o) in overriders.command_overrider.iter().enumerate() {
        apply_command_args(manifest, o, "command", &format!("commandOverrider[{i}]"))?;
    }
    for (i, o) in overriders.args_overrider.iter().enumerate() {
        apply_command_args(manifest, o, "args", &format!("argsOverrider[{i}]"))?;
    }
    for (i, o) in overriders.labels_overrider.iter().enumerate() {
        apply_label_annotation(manifest, o, "labels", &format!("labelsOverrider[{i}]"))?;
    }
    for (i, o) in overriders.annotations_overrider.iter().enumerate() {
        apply_label_annotation(
            manifest,
            o,
            "annotations",
            &format!("annotationsOverrider[{i}]"),
        )?;
    }
    for (i, o) in overriders.field_overrider.iter().enumerate() {
        apply_field(manifest, o, i)?;
    }
    apply_plaintext(manifest, &overriders.plaintext)
}

// ----- helpers -----------------------------------------------------------------------------------

fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

fn error(overrider: &str, path: &str, reason: impl Into<String>) -> OverriderError {
    OverriderError {
        overrider: overrider.to_owned(),
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// One JSON patch operation in the JSON form `json_patch` reads.
fn operation(op: OverriderOperator, path: &str, value: Option<&Value>) -> Value {
    let mut out = Map::new();
    out.insert("op".into(), Value::from(op.as_str()));
    out.insert("path".into(), Value::from(path));
    if op != OverriderOperator::Remove {
        out.insert("value".into(), value.cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

/// Applies JSON patch operations to `doc`; errors name the operation's path.
fn json_patch(
    doc: &mut Value,
    operations: Vec<Value>,
    overrider: &str,
) -> Result<(), OverriderError> {
    if operations.is_empty() {
        return Ok(());
    }
    let patch: json_patch::Patch = serde_json::from_value(Value::Array(operations))
        .map_err(|e| error(overrider, "", format!("invalid JSON patch: {e}")))?;
    json_patch::patch(doc, &patch).map_err(|e| {
        error(
            overrider,
            e.path.as_str(),
            format!("{} (operation {})", e.kind, e.operation),
        )
    })
}

/// The JSON pointer of the pod spec of the kinds whose containers the image, command and args
/// overriders find by themselves (matched by kind alone, as Karmada does).
fn pod_spec_path(manifest: &Value) -> Option<&'static str> {
    match str_at(manifest, "/kind") {
        "Pod" => Some("/spec"),
        "ReplicaSet" | "Deployment" | "DaemonSet" | "StatefulSet" | "Job" => {
            Some("/spec/template/spec")
        }
        _ => None,
    }
}

// ----- image -------------------------------------------------------------------------------------

fn apply_image(
    manifest: &mut Value,
    o: &ImageOverrider,
    index: usize,
) -> Result<(), OverriderError> {
    let name = format!("imageOverrider[{index}]");
    let targets: Vec<(String, String)> = match &o.predicate {
        Some(predicate) => {
            let path = predicate.path.as_str();
            if !path.starts_with('/') {
                return Err(error(&name, path, "the predicate path must start with /"));
            }
            let image = manifest
                .pointer(path)
                .ok_or_else(|| error(&name, path, "no such field"))?
                .as_str()
                .ok_or_else(|| error(&name, path, "the field is not a string"))?;
            vec![(path.to_owned(), image.to_owned())]
        }
        None => {
            let Some(prefix) = pod_spec_path(manifest) else {
                return Ok(());
            };
            let containers = manifest
                .pointer(&format!("{prefix}/containers"))
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            containers
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    (
                        format!("{prefix}/containers/{i}/image"),
                        str_at(c, "/image").to_owned(),
                    )
                })
                .collect()
        }
    };
    for (path, image) in targets {
        let mut parsed = ImageRef::parse(&image)
            .map_err(|reason| error(&name, &path, format!("image {image:?}: {reason}")))?;
        parsed.apply(o);
        let rewritten = Value::from(parsed.to_string());
        match manifest.pointer_mut(&path) {
            Some(slot) => *slot = rewritten,
            None => {
                // A container without an image field: Karmada's replace fails there too.
                return Err(error(&name, &path, "no such field"));
            }
        }
    }
    Ok(())
}

/// An image reference `[registry/]repository[:tag|@digest]`, split the way Karmada's image
/// parser splits it (distribution's reference grammar; the first path component is the
/// registry when it contains `.` or `:` or is `localhost`). A reference with both a tag and a
/// digest keeps the tag only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageRef {
    /// The registry host, with its port if any; empty for the default registry.
    pub hostname: String,
    /// The repository path below the registry.
    pub repository: String,
    /// The tag; empty when there is none.
    pub tag: String,
    /// The digest (`algorithm:hex`); empty when there is a tag or none.
    pub digest: String,
}

const PATH_COMPONENT: &str = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const DOMAIN_COMPONENT: &str = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const TAG: &str = "[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}";
const DIGEST: &str = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    let domain =
        format!(r"(?:{DOMAIN_COMPONENT}(?:\.{DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?");
    let name = format!("(?:{domain}/)?{PATH_COMPONENT}(?:/{PATH_COMPONENT})*");
    Regex::new(&format!("^({name})(?::({TAG}))?(?:@({DIGEST}))?$")).expect("valid regex")
});
static ANCHORED_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{TAG}$")).expect("valid regex"));
static ANCHORED_DIGEST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!("^{DIGEST}$")).expect("valid regex"));

/// The longest repository name (registry included) a reference may have.
const NAME_TOTAL_LENGTH_MAX: usize = 255;

impl ImageRef {
    /// Parses an image reference; the error is distribution's message.
    pub fn parse(image: &str) -> Result<ImageRef, String> {
        let Some(captures) = REFERENCE.captures(image) else {
            if image.is_empty() {
                return Err("repository name must have at least one component".into());
            }
            if REFERENCE.is_match(&image.to_lowercase()) {
                return Err("repository name must be lowercase".into());
            }
            return Err("invalid reference format".into());
        };
        let name = captures.get(1).map_or("", |m| m.as_str());
        if name.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(format!(
                "repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
            ));
        }
        let tag = captures.get(2).map_or("", |m| m.as_str()).to_owned();
        let digest = captures.get(3).map_or("", |m| m.as_str());
        if !digest.is_empty() {
            validate_digest(digest)?;
        }
        let (hostname, repository) = split_hostname(name);
        Ok(ImageRef {
            hostname: hostname.to_owned(),
            repository: repository.to_owned(),
            digest: if tag.is_empty() {
                digest.to_owned()
            } else {
                String::new()
            },
            tag,
        })
    }

    fn tag_or_digest(&self) -> &str {
        if self.tag.is_empty() {
            &self.digest
        } else {
            &self.tag
        }
    }

    /// Sets the tag or the digest, whichever `input` is; anything else is ignored.
    fn set_tag_or_digest(&mut self, input: &str) {
        if ANCHORED_TAG.is_match(input) {
            self.tag = input.to_owned();
            self.digest.clear();
        } else if ANCHORED_DIGEST.is_match(input) {
            self.digest = input.to_owned();
            self.tag.clear();
        }
    }

    /// Applies an image overrider's operation to its component. Values are concatenated for
    /// "add" (Karmada appends to the existing component).
    fn apply(&mut self, o: &ImageOverrider) {
        let value = o.value.as_deref().unwrap_or_default();
        match (o.component, o.operator) {
            (ImageComponent::Registry, OverriderOperator::Add) => self.hostname.push_str(value),
            (ImageComponent::Registry, OverriderOperator::Replace) => {
                self.hostname = value.to_owned()
            }
            (ImageComponent::Registry, OverriderOperator::Remove) => self.hostname.clear(),
            (ImageComponent::Repository, OverriderOperator::Add) => self.repository.push_str(value),
            (ImageComponent::Repository, OverriderOperator::Replace) => {
                self.repository = value.to_owned()
            }
            (ImageComponent::Repository, OverriderOperator::Remove) => self.repository.clear(),
            (ImageComponent::Tag, OverriderOperator::Add) => {
                let joined = format!("{}{value}", self.tag_or_digest());
                self.set_tag_or_digest(&joined);
            }
            (ImageComponent::Tag, OverriderOperator::Replace) => self.set_tag_or_digest(value),
            (ImageComponent::Tag, OverriderOperator::Remove) => {
                if self.tag.is_empty() {
                    self.digest.clear();
                } else {
                    self.tag.clear();
                }
            }
        }
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.hostname.is_empty() {
            write!(f, "{}/", self.hostname)?;
        }
        f.write_str(&self.repository)?;
        if !self.tag.is_empty() {
            write!(f, ":{}", self.tag)
        } else if !self.digest.is_empty() {
            write!(f, "@{}", self.digest)
        } else {
            Ok(())
        }
    }
}

/// Splits a repository name into registry host and path: the first component is a host when
/// it contains `.` or `:` or is `localhost`.
fn split_hostname(name: &str) -> (&str, &str) {
    match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => ("", name),
    }
}

/// Checks a digest the way go-digest does for the algorithms it knows.
fn validate_digest(digest: &str) -> Result<(), String> {
    let (algorithm, hex) = digest.split_once(':').unwrap_or((digest, ""));
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err("unsupported digest algorithm".into()),
    };
    if hex.len() != length {
        return Err("invalid checksum digest length".into());
    }
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err("invalid checksum digest format".into());
    }
    Ok(())
}

// ----- command and args --------------------------------------------------------------------------

fn apply_command_args(
    manifest: &mut Value,
    o: &CommandArgsOverrider,
    field: &str,
    name: &str,
) -> Result<(), OverriderError> {
    let Some(prefix) = pod_spec_path(manifest) else {
        return Ok(());
    };
    let containers_path = format!("{prefix}/containers");
    let Some(containers) = manifest.pointer_mut(&containers_path) else {
        return Ok(());
    };
    let containers = containers
        .as_array_mut()
        .ok_or_else(|| error(name, &containers_path, "the field is not a list"))?;
    for (i, container) in containers.iter_mut().enumerate() {
        if container.get("name").and_then(Value::as_str) != Some(o.container_name.as_str()) {
            continue;
        }
        let path = format!("{containers_path}/{i}/{field}");
        let container = container
            .as_object_mut()
            .ok_or_else(|| error(name, &containers_path, "a container is not an object"))?;
        let current: Vec<String> = match container.get(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            Some(_) => return Err(error(name, &path, "the field is not a list")),
        };
        let updated: Vec<String> = match o.operator {
            OverriderOperator::Add => current.into_iter().chain(o.value.iter().cloned()).collect(),
            OverriderOperator::Remove => current
                .into_iter()
                .filter(|item| !o.value.contains(item))
                .collect(),
            // Not an operation on commands and args; Karmada leaves them as they are.
            OverriderOperator::Replace => current,
        };
        container.insert(
            field.to_owned(),
            Value::Array(updated.into_iter().map(Value::from).collect()),
        );
    }
    Ok(())
}

// ----- labels and annotations --------------------------------------------------------------------

fn apply_label_annotation(
    manifest: &mut Value,
    o: &LabelAnnotationOverrider,
    field: &str,
    name: &str,
) -> Result<(), OverriderError> {
    let path = format!("/metadata/{field}");
    let exists = manifest.pointer(&path).is_some_and(Value::is_object);
    let mut operations = Vec::new();
    for (key, value) in &o.value {
        match o.operator {
            OverriderOperator::Remove | OverriderOperator::Replace => {
                if manifest.pointer(&path).and_then(|m| m.get(key)).is_none() {
                    continue;
                }
            }
            OverriderOperator::Add => {}
        }
        operations.push(operation(
            o.operator,
            &format!("{path}/{}", escape(key)),
            Some(&Value::from(value.as_str())),
        ));
    }
    if operations.is_empty() {
        return Ok(());
    }
    if o.operator == OverriderOperator::Add && !exists {
        let metadata = manifest
            .as_object_mut()
            .ok_or_else(|| error(name, "", "the manifest is not an object"))?
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        metadata
            .as_object_mut()
            .ok_or_else(|| error(name, "/metadata", "the field is not an object"))?
            .insert(field.to_owned(), Value::Object(Map::new()));
    }
    json_patch(manifest, operations, name)
}

// ----- fields holding JSON or YAML ---------------------------------------------------------------

fn apply_field(
    manifest: &mut Value,
    o: &FieldOverrider,
    index: usize,
) -> Result<(), OverriderError> {
    let name = format!("fieldOverrider[{index}]");
    let path = o.field_path.as_str();
    if !path.is_empty() && !path.starts_with('/') {
        return Err(error(&name, path, "the field path must start with /"));
    }
    let text = manifest
        .pointer(path)
        .ok_or_else(|| error(&name, path, "no such field"))?
        .as_str()
        .ok_or_else(|| error(&name, path, "the field is not a string"))?;
    let rewritten = if !o.yaml.is_empty() {
        let mut doc: Value = serde_saphyr::from_str(text)
            .map_err(|e| error(&name, path, format!("the field does not hold YAML: {e}")))?;
        let operations = o
            .yaml
            .iter()
            .map(|op| operation(op.operator, &op.sub_path, op.value.as_ref()))
            .collect();
        json_patch(&mut doc, operations, &name).map_err(|e| inside(e, path))?;
        serde_saphyr::to_string(&sorted_keys(doc))
            .map_err(|e| error(&name, path, format!("cannot write YAML: {e}")))?
    } else if !o.json.is_empty() {
        let mut doc: Value = serde_json::from_str(text)
            .map_err(|e| error(&name, path, format!("the field does not hold JSON: {e}")))?;
        let operations = o
            .json
            .iter()
            .map(|op| operation(op.operator, &op.sub_path, op.value.as_ref()))
            .collect();
        json_patch(&mut doc, operations, &name).map_err(|e| inside(e, path))?;
        doc.to_string()
    } else {
        // The webhook requires one of json and yaml; nothing to do without either.
        return Ok(());
    };
    if let Some(slot) = manifest.pointer_mut(path) {
        *slot = Value::String(rewritten);
    }
    Ok(())
}

/// An error at a sub-path, reported at the field path plus the sub-path.
fn inside(mut e: OverriderError, field_path: &str) -> OverriderError {
    e.path = format!("{field_path}{}", e.path);
    e
}

/// The value with object keys sorted at every level, as Karmada's YAML writer emits them.
fn sorted_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted_keys(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted_keys).collect()),
        other => other,
    }
}

// ----- plaintext ---------------------------------------------------------------------------------

fn apply_plaintext(
    manifest: &mut Value,
    overriders: &[PlaintextOverrider],
) -> Result<(), OverriderError> {
    let operations = overriders
        .iter()
        .map(|o| operation(o.operator, &o.path, o.value.as_ref()))
        .collect();
    json_patch(manifest, operations, "plaintext")
}

#[cfg(test)]
mod tests {
    use flotilla_api::policy::v1alpha1::{
        ClusterAffinity, ImagePredicate, JsonPatchOperation, ResourceSelector, RuleWithCluster,
        YamlPatchOperation,
    };
    use serde_json::json;

    use super::*;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
            "spec": {
                "replicas": 3,
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {
                        "containers": [
                            {"name": "nginx", "image": "nginx:1.25", "command": ["nginx"], "args": ["-g", "daemon off;"]},
                            {"name": "sidecar", "image": "registry.k8s.io/pause@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
                        ]
                    }
                }
            }
        })
    }

    fn image(
        component: ImageComponent,
        operator: OverriderOperator,
        value: &str,
    ) -> ImageOverrider {
        ImageOverrider {
            predicate: None,
            component,
            operator,
            value: (!value.is_empty()).then(|| value.to_owned()),
        }
    }

    #[test]
    fn image_references_parse_like_distribution() {
        struct Case {
            image: &'static str,
            want: Result<(&'static str, &'static str, &'static str, &'static str), &'static str>,
        }
        let digest = "sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c";
        let cases = [
            Case {
                image: "nginx",
                want: Ok(("", "nginx", "", "")),
            },
            Case {
                image: "nginx:1.25",
                want: Ok(("", "nginx", "1.25", "")),
            },
            Case {
                image: "library/nginx:latest",
                want: Ok(("", "library/nginx", "latest", "")),
            },
            Case {
                image: "registry.k8s.io/kube-apiserver:v1.19.1",
                want: Ok(("registry.k8s.io", "kube-apiserver", "v1.19.1", "")),
            },
            Case {
                image: "fictional.registry.example:10443/karmada/karmada-controller-manager:v1.0.0",
                want: Ok((
                    "fictional.registry.example:10443",
                    "karmada/karmada-controller-manager",
                    "v1.0.0",
                    "",
                )),
            },
            Case {
                image: "localhost/app",
                want: Ok(("localhost", "app", "", "")),
            },
            Case {
                image: "localhost:5000/app",
                want: Ok(("localhost:5000", "app", "", "")),
            },
            Case {
                image: "fictional.registry.example/karmada@sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c",
                want: Ok(("fictional.registry.example", "karmada", "", digest)),
            },
            Case {
                image: "nginx:1.25@sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c",
                want: Ok(("", "nginx", "1.25", "")),
            },
            Case {
                image: "",
                want: Err("repository name must have at least one component"),
            },
            Case {
                image: "Nginx",
                want: Err("repository name must be lowercase"),
            },
            Case {
                image: "nginx:",
                want: Err("invalid reference format"),
            },
            Case {
                image: "nginx@sha256:abc",
                want: Err("invalid reference format"),
            },
            Case {
                image: "nginx@md5:50d858e0985ecc7f60418aaf0cc5ab58",
                want: Err("unsupported digest algorithm"),
            },
        ];
        for case in cases {
            let got = ImageRef::parse(case.image);
            let want = case.want.map(|(h, r, t, d)| ImageRef {
                hostname: h.into(),
                repository: r.into(),
                tag: t.into(),
                digest: d.into(),
            });
            assert_eq!(got, want.map_err(str::to_owned), "{:?}", case.image);
        }
    }

    #[test]
    fn image_overrider_changes_each_component() {
        struct Case {
            name: &'static str,
            image: &'static str,
            overrider: ImageOverrider,
            want: &'static str,
        }
        use ImageComponent::*;
        use OverriderOperator::*;
        let cases = [
            Case {
                name: "add registry to none",
                image: "nginx:1.25",
                overrider: image(Registry, Add, "mirror.example"),
                want: "mirror.example/nginx:1.25",
            },
            Case {
                name: "add registry appends",
                image: "docker.io/nginx",
                overrider: image(Registry, Add, "-cn"),
                want: "docker.io-cn/nginx",
            },
            Case {
                name: "replace registry",
                image: "docker.io/library/nginx:1.25",
                overrider: image(Registry, Replace, "mirror.example:5000"),
                want: "mirror.example:5000/library/nginx:1.25",
            },
            Case {
                name: "remove registry",
                image: "registry.k8s.io/pause:3.9",
                overrider: image(Registry, Remove, ""),
                want: "pause:3.9",
            },
            Case {
                name: "replace repository",
                image: "registry.k8s.io/pause:3.9",
                overrider: image(Repository, Replace, "team/pause"),
                want: "registry.k8s.io/team/pause:3.9",
            },
            Case {
                name: "add repository",
                image: "nginx",
                overrider: image(Repository, Add, "-debug"),
                want: "nginx-debug",
            },
            Case {
                name: "replace tag",
                image: "nginx:1.25",
                overrider: image(Tag, Replace, "1.27"),
                want: "nginx:1.27",
            },
            Case {
                name: "add tag appends",
                image: "nginx:1.25",
                overrider: image(Tag, Add, "-alpine"),
                want: "nginx:1.25-alpine",
            },
            Case {
                name: "replace tag with digest",
                image: "nginx:1.25",
                overrider: image(
                    Tag,
                    Replace,
                    "sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c",
                ),
                want: "nginx@sha256:50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c",
            },
            Case {
                name: "remove tag",
                image: "nginx:1.25",
                overrider: image(Tag, Remove, ""),
                want: "nginx",
            },
            Case {
                name: "invalid tag is ignored",
                image: "nginx:1.25",
                overrider: image(Tag, Replace, "not a tag"),
                want: "nginx:1.25",
            },
        ];
        for case in cases {
            let mut manifest = json!({"kind": "Pod", "spec": {"containers": [{"name": "c", "image": case.image}]}});
            apply_overriders(
                &mut manifest,
                &Overriders {
                    image_overrider: vec![case.overrider],
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert_eq!(
                manifest["spec"]["containers"][0]["image"], case.want,
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn image_overrider_finds_containers_by_kind_or_predicate() {
        let registry = image(
            ImageComponent::Registry,
            OverriderOperator::Replace,
            "mirror.example",
        );
        let mut manifest = deployment();
        apply_overriders(
            &mut manifest,
            &Overriders {
                image_overrider: vec![registry.clone()],
                ..Default::default()
            },
        )
        .unwrap();
        let containers = &manifest["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[0]["image"], "mirror.example/nginx:1.25");
        assert_eq!(
            containers[1]["image"],
            "mirror.example/pause@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        );

        // Kinds without known containers are left alone without a predicate...
        let mut cronjob = json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}}});
        let before = cronjob.clone();
        apply_overriders(
            &mut cronjob,
            &Overriders {
                image_overrider: vec![registry.clone()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(cronjob, before);

        // ...and reached with one.
        let with_predicate = ImageOverrider {
            predicate: Some(ImagePredicate {
                path: "/spec/jobTemplate/spec/template/spec/containers/0/image".into(),
            }),
            ..registry.clone()
        };
        apply_overriders(
            &mut cronjob,
            &Overriders {
                image_overrider: vec![with_predicate],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"],
            "mirror.example/busybox"
        );

        // A predicate that points nowhere is an error naming the path.
        let missing = ImageOverrider {
            predicate: Some(ImagePredicate {
                path: "/spec/template/spec/containers/5/image".into(),
            }),
            ..registry
        };
        let err = apply_overriders(
            &mut deployment(),
            &Overriders {
                image_overrider: vec![missing],
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(err.overrider, "imageOverrider[0]");
        assert_eq!(err.path, "/spec/template/spec/containers/5/image");
    }

    #[test]
    fn command_and_args_overriders() {
        struct Case {
            name: &'static str,
            overriders: Overriders,
            command: Value,
            args: Value,
        }
        let o = |container: &str, operator, value: &[&str]| CommandArgsOverrider {
            container_name: container.into(),
            operator,
            value: value.iter().map(|s| s.to_string()).collect(),
        };
        let cases = [
            Case {
                name: "add command appends",
                overriders: Overriders {
                    command_overrider: vec![o(
                        "nginx",
                        OverriderOperator::Add,
                        &["-c", "/etc/nginx.conf"],
                    )],
                    ..Default::default()
                },
                command: json!(["nginx", "-c", "/etc/nginx.conf"]),
                args: json!(["-g", "daemon off;"]),
            },
            Case {
                name: "remove args deletes every match",
                overriders: Overriders {
                    args_overrider: vec![o("nginx", OverriderOperator::Remove, &["-g"])],
                    ..Default::default()
                },
                command: json!(["nginx"]),
                args: json!(["daemon off;"]),
            },
            Case {
                name: "other containers are untouched",
                overriders: Overriders {
                    command_overrider: vec![o("web", OverriderOperator::Add, &["x"])],
                    ..Default::default()
                },
                command: json!(["nginx"]),
                args: json!(["-g", "daemon off;"]),
            },
            Case {
                name: "command then args",
                overriders: Overriders {
                    command_overrider: vec![o("nginx", OverriderOperator::Remove, &["nginx"])],
                    args_overrider: vec![o("nginx", OverriderOperator::Add, &["-q"])],
                    ..Default::default()
                },
                command: json!([]),
                args: json!(["-g", "daemon off;", "-q"]),
            },
        ];
        for case in cases {
            let mut manifest = deployment();
            apply_overriders(&mut manifest, &case.overriders)
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let c = &manifest["spec"]["template"]["spec"]["containers"][0];
            assert_eq!(c["command"], case.command, "{}", case.name);
            assert_eq!(c["args"], case.args, "{}", case.name);
        }

        // A container without args gets them.
        let mut manifest = deployment();
        apply_overriders(
            &mut manifest,
            &Overriders {
                args_overrider: vec![o("sidecar", OverriderOperator::Add, &["--v=2"])],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            manifest["spec"]["template"]["spec"]["containers"][1]["args"],
            json!(["--v=2"])
        );
    }

    #[test]
    fn labels_and_annotations_overriders() {
        struct Case {
            name: &'static str,
            overrider: LabelAnnotationOverrider,
            want: Value,
        }
        let o = |operator, entries: &[(&str, &str)]| LabelAnnotationOverrider {
            operator,
            value: entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let cases = [
            Case {
                name: "add sets and overwrites",
                overrider: o(
                    OverriderOperator::Add,
                    &[("app", "web"), ("example.com/tier", "front")],
                ),
                want: json!({"app": "web", "example.com/tier": "front"}),
            },
            Case {
                name: "replace only existing keys",
                overrider: o(
                    OverriderOperator::Replace,
                    &[("app", "web"), ("absent", "x")],
                ),
                want: json!({"app": "web"}),
            },
            Case {
                name: "remove only existing keys",
                overrider: o(OverriderOperator::Remove, &[("app", ""), ("absent", "")]),
                want: json!({}),
            },
        ];
        for case in cases {
            let mut manifest = deployment();
            apply_overriders(
                &mut manifest,
                &Overriders {
                    labels_overrider: vec![case.overrider.clone()],
                    ..Default::default()
                },
            )
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert_eq!(manifest["metadata"]["labels"], case.want, "{}", case.name);
        }

        // Annotations are created when there are none; replace on none does nothing.
        let mut manifest = deployment();
        apply_overriders(
            &mut manifest,
            &Overriders {
                annotations_overrider: vec![o(OverriderOperator::Replace, &[("a", "b")])],
                ..Default::default()
            },
        )
        .unwrap();
        assert!(manifest["metadata"].get("annotations").is_none());
        apply_overriders(
            &mut manifest,
            &Overriders {
                annotations_overrider: vec![o(OverriderOperator::Add, &[("a", "b")])],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(manifest["metadata"]["annotations"], json!({"a": "b"}));
    }

    #[test]
    fn field_overriders_patch_json_and_yaml_inside_strings() {
        let mut configmap = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "db", "namespace": "default"},
            "data": {
                "db-config.yaml": "database:\n  host: localhost\n  port: 3306\n",
                "db-config.json": "{\"host\":\"localhost\",\"port\":3306}"
            }
        });
        let overriders = Overriders {
            field_overrider: vec![
                FieldOverrider {
                    field_path: "/data/db-config.yaml".into(),
                    yaml: vec![
                        YamlPatchOperation {
                            sub_path: "/database/host".into(),
                            operator: OverriderOperator::Replace,
                            value: Some(json!("db.member1")),
                        },
                        YamlPatchOperation {
                            sub_path: "/database/tls".into(),
                            operator: OverriderOperator::Add,
                            value: Some(json!(true)),
                        },
                    ],
                    ..Default::default()
                },
                FieldOverrider {
                    field_path: "/data/db-config.json".into(),
                    json: vec![JsonPatchOperation {
                        sub_path: "/port".into(),
                        operator: OverriderOperator::Remove,
                        value: None,
                    }],
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        apply_overriders(&mut configmap, &overriders).unwrap();
        let yaml: Value =
            serde_saphyr::from_str(configmap["data"]["db-config.yaml"].as_str().unwrap()).unwrap();
        assert_eq!(
            yaml,
            json!({"database": {"host": "db.member1", "port": 3306, "tls": true}})
        );
        assert_eq!(
            configmap["data"]["db-config.json"],
            "{\"host\":\"localhost\"}"
        );

        // Failures name the field and the sub-path.
        let bad = Overriders {
            field_overrider: vec![FieldOverrider {
                field_path: "/data/db-config.json".into(),
                json: vec![JsonPatchOperation {
                    sub_path: "/missing/deep".into(),
                    operator: OverriderOperator::Replace,
                    value: Some(json!(1)),
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let err = apply_overriders(&mut configmap, &bad).unwrap_err();
        assert_eq!(err.overrider, "fieldOverrider[0]");
        assert!(
            err.path.starts_with("/data/db-config.json/missing"),
            "{err}"
        );
        let not_string = Overriders {
            field_overrider: vec![FieldOverrider {
                field_path: "/metadata".into(),
                json: vec![JsonPatchOperation::default()],
                ..Default::default()
            }],
            ..Default::default()
        };
        assert!(
            apply_overriders(&mut configmap, &not_string)
                .unwrap_err()
                .reason
                .contains("not a string")
        );
    }

    #[test]
    fn plaintext_is_a_json_patch() {
        let mut manifest = deployment();
        let overriders = Overriders {
            plaintext: vec![
                PlaintextOverrider {
                    path: "/spec/replicas".into(),
                    operator: OverriderOperator::Replace,
                    value: Some(json!(5)),
                },
                PlaintextOverrider {
                    path: "/metadata/labels/env".into(),
                    operator: OverriderOperator::Add,
                    value: Some(json!("prod")),
                },
                PlaintextOverrider {
                    path: "/spec/template/spec/containers/1".into(),
                    operator: OverriderOperator::Remove,
                    value: None,
                },
            ],
            ..Default::default()
        };
        apply_overriders(&mut manifest, &overriders).unwrap();
        assert_eq!(manifest["spec"]["replicas"], 5);
        assert_eq!(manifest["metadata"]["labels"]["env"], "prod");
        assert_eq!(
            manifest["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        let missing = Overriders {
            plaintext: vec![PlaintextOverrider {
                path: "/spec/nothing/here".into(),
                operator: OverriderOperator::Replace,
                value: Some(json!(1)),
            }],
            ..Default::default()
        };
        let err = apply_overriders(&mut manifest, &missing).unwrap_err();
        assert_eq!(err.overrider, "plaintext");
        assert_eq!(err.path, "/spec/nothing/here");
    }

    #[test]
    fn overriders_of_a_rule_apply_in_karmadas_order() {
        // The image overrider runs before plaintext, so plaintext's replace wins; labels run
        // before plaintext too, so plaintext sees the label the labels overrider added.
        let mut manifest = deployment();
        let overriders = Overriders {
            plaintext: vec![
                PlaintextOverrider {
                    path: "/spec/template/spec/containers/0/image".into(),
                    operator: OverriderOperator::Replace,
                    value: Some(json!("final:1")),
                },
                PlaintextOverrider {
                    path: "/metadata/labels/added".into(),
                    operator: OverriderOperator::Replace,
                    value: Some(json!("by-plaintext")),
                },
            ],
            image_overrider: vec![image(
                ImageComponent::Registry,
                OverriderOperator::Replace,
                "mirror.example",
            )],
            labels_overrider: vec![LabelAnnotationOverrider {
                operator: OverriderOperator::Add,
                value: BTreeMap::from([("added".into(), "by-labels".into())]),
            }],
            ..Default::default()
        };
        apply_overriders(&mut manifest, &overriders).unwrap();
        assert_eq!(
            manifest["spec"]["template"]["spec"]["containers"][0]["image"],
            "final:1"
        );
        assert_eq!(manifest["metadata"]["labels"]["added"], "by-plaintext");
    }

    fn cluster(name: &str, labels: &[(&str, &str)], region: &str) -> ClusterInput {
        let cluster: Cluster = serde_json::from_value(json!({
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "metadata": {"name": name, "labels": labels.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<Map<_, _>>()},
            "spec": {"syncMode": "Push", "region": region}
        }))
        .unwrap();
        cluster_input(&cluster)
    }

    fn label_rule(target: Option<ClusterAffinity>, key: &str, value: &str) -> RuleWithCluster {
        RuleWithCluster {
            target_cluster: target,
            overriders: Overriders {
                labels_overrider: vec![LabelAnnotationOverrider {
                    operator: OverriderOperator::Add,
                    value: BTreeMap::from([(key.into(), value.into())]),
                }],
                ..Default::default()
            },
        }
    }

    fn cop(
        name: &str,
        selectors: Vec<ResourceSelector>,
        rules: Vec<RuleWithCluster>,
    ) -> Arc<CompiledOverridePolicy> {
        let mut policy = ClusterOverridePolicy::new(
            name,
            OverrideSpec {
                resource_selectors: selectors,
                override_rules: rules,
                ..Default::default()
            },
        );
        policy.metadata.name = Some(name.into());
        Arc::new(CompiledOverridePolicy::cluster(&policy))
    }

    fn op(
        namespace: &str,
        name: &str,
        selectors: Vec<ResourceSelector>,
        rules: Vec<RuleWithCluster>,
    ) -> Arc<CompiledOverridePolicy> {
        let mut policy = OverridePolicy::new(
            name,
            OverrideSpec {
                resource_selectors: selectors,
                override_rules: rules,
                ..Default::default()
            },
        );
        policy.metadata.name = Some(name.into());
        policy.metadata.namespace = Some(namespace.into());
        Arc::new(CompiledOverridePolicy::namespaced(&policy))
    }

    #[test]
    fn policies_apply_cluster_wide_first_then_by_priority_and_name() {
        let by_name = ResourceSelector {
            name: Some("nginx".into()),
            ..ResourceSelector::new("apps/v1", "Deployment")
        };
        let by_kind = ResourceSelector::new("apps/v1", "Deployment");
        let other_kind = ResourceSelector::new("v1", "ConfigMap");
        let m1 = cluster("m1", &[("env", "prod")], "eu");

        struct Case {
            name: &'static str,
            cops: Vec<Arc<CompiledOverridePolicy>>,
            ops: Vec<Arc<CompiledOverridePolicy>>,
            want_value: &'static str,
            want_cluster: Vec<&'static str>,
            want_namespaced: Vec<&'static str>,
        }
        let cases = [
            Case {
                name: "namespaced policies apply after cluster-wide ones",
                cops: vec![cop("z-cop", vec![], vec![label_rule(None, "winner", "cop")])],
                ops: vec![op("default", "a-op", vec![], vec![label_rule(None, "winner", "op")])],
                want_value: "op",
                want_cluster: vec!["z-cop"],
                want_namespaced: vec!["a-op"],
            },
            Case {
                name: "name match beats kind match regardless of name order",
                cops: vec![],
                ops: vec![
                    op("default", "a-specific", vec![by_name.clone()], vec![label_rule(None, "winner", "specific")]),
                    op("default", "b-general", vec![by_kind.clone()], vec![label_rule(None, "winner", "general")]),
                ],
                want_value: "specific",
                want_cluster: vec![],
                want_namespaced: vec!["b-general", "a-specific"],
            },
            Case {
                name: "equal priority: later name wins",
                cops: vec![
                    cop("b", vec![], vec![label_rule(None, "winner", "b")]),
                    cop("a", vec![by_kind.clone()], vec![label_rule(None, "winner", "a")]),
                ],
                ops: vec![],
                want_value: "b",
                want_cluster: vec!["a", "b"],
                want_namespaced: vec![],
            },
            Case {
                name: "unselected policies and other namespaces are skipped",
                cops: vec![cop("cm", vec![other_kind], vec![label_rule(None, "winner", "cm")])],
                ops: vec![
                    op("other", "x", vec![], vec![label_rule(None, "winner", "other-ns")]),
                    op("default", "y", vec![], vec![label_rule(None, "winner", "y")]),
                ],
                want_value: "y",
                want_cluster: vec![],
                want_namespaced: vec!["y"],
            },
            Case {
                name: "rules for other clusters are skipped, matching ones apply in order",
                cops: vec![cop("rules", vec![], vec![
                    label_rule(Some(ClusterAffinity::cluster_names(["m1"])), "winner", "first"),
                    label_rule(Some(ClusterAffinity::cluster_names(["m2"])), "winner", "m2"),
                    label_rule(Some(ClusterAffinity { exclude_clusters: vec!["m2".into()], ..Default::default() }), "winner", "second"),
                ])],
                ops: vec![],
                want_value: "second",
                want_cluster: vec!["rules", "rules"],
                want_namespaced: vec![],
            },
            Case {
                name: "label and field selectors on the cluster",
                cops: vec![cop("sel", vec![], vec![
                    label_rule(Some(serde_json::from_value(json!({"labelSelector": {"matchLabels": {"env": "prod"}}})).unwrap()), "winner", "prod"),
                    label_rule(Some(serde_json::from_value(json!({"fieldSelector": {"matchExpressions": [{"key": "region", "operator": "In", "values": ["us"]}]}})).unwrap()), "winner", "us"),
                ])],
                ops: vec![],
                want_value: "prod",
                want_cluster: vec!["sel"],
                want_namespaced: vec![],
            },
        ];
        for case in cases {
            let mut manifest = deployment();
            let applied = apply_overrides(&mut manifest, &m1, &case.cops, &case.ops)
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
            assert_eq!(
                manifest["metadata"]["labels"]["winner"], case.want_value,
                "{}",
                case.name
            );
            let names = |items: &[AppliedOverride]| {
                items
                    .iter()
                    .map(|i| i.policy_name.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(names(&applied.cluster), case.want_cluster, "{}", case.name);
            assert_eq!(
                names(&applied.namespaced),
                case.want_namespaced,
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn namespaced_policies_never_touch_cluster_scoped_resources() {
        let mut role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "view"}});
        let applied = apply_overrides(
            &mut role,
            &cluster("m1", &[], ""),
            &[],
            &[op("", "x", vec![], vec![label_rule(None, "a", "b")])],
        )
        .unwrap();
        assert!(applied.is_empty());
        assert!(role["metadata"].get("labels").is_none());
    }

    #[test]
    fn applied_overrides_are_recorded_like_karmada() {
        let mut manifest = deployment();
        let registry = Overriders {
            image_overrider: vec![image(
                ImageComponent::Registry,
                OverriderOperator::Replace,
                "mirror.example",
            )],
            ..Default::default()
        };
        let cops = vec![
            cop(
                "z",
                vec![],
                vec![RuleWithCluster {
                    target_cluster: None,
                    overriders: registry.clone(),
                }],
            ),
            cop(
                "a",
                vec![ResourceSelector {
                    name: Some("nginx".into()),
                    ..ResourceSelector::new("apps/v1", "Deployment")
                }],
                vec![label_rule(None, "k", "v")],
            ),
        ];
        let applied = apply_overrides(&mut manifest, &cluster("m1", &[], ""), &cops, &[]).unwrap();
        let annotations = applied.annotations();
        assert_eq!(annotations.len(), 1);
        let recorded: Value =
            serde_json::from_str(&annotations[labels::APPLIED_CLUSTER_OVERRIDES]).unwrap();
        assert_eq!(
            recorded,
            json!([
                {"policyName": "a", "overriders": {"labelsOverrider": [{"operator": "add", "value": {"k": "v"}}]}},
                {"policyName": "z", "overriders": {"imageOverrider": [{"component": "Registry", "operator": "replace", "value": "mirror.example"}]}}
            ])
        );
    }

    #[test]
    fn failures_name_the_policy_and_cluster() {
        let bad = cop(
            "broken",
            vec![],
            vec![RuleWithCluster {
                target_cluster: None,
                overriders: Overriders {
                    plaintext: vec![PlaintextOverrider {
                        path: "/spec/missing/x".into(),
                        operator: OverriderOperator::Replace,
                        value: Some(json!(1)),
                    }],
                    ..Default::default()
                },
            }],
        );
        let err =
            apply_overrides(&mut deployment(), &cluster("m1", &[], ""), &[bad], &[]).unwrap_err();
        assert_eq!(err.policy, "ClusterOverridePolicy broken");
        assert_eq!(err.cluster, "m1");
        assert!(err.to_string().contains("/spec/missing/x"), "{err}");
    }

    #[test]
    fn deprecated_top_level_overriders_are_one_rule() {
        let spec = OverrideSpec {
            target_cluster: Some(ClusterAffinity::cluster_names(["m2"])),
            overriders: Some(label_rule(None, "old", "style").overriders),
            ..Default::default()
        };
        let mut policy = ClusterOverridePolicy::new("old", spec);
        policy.metadata.name = Some("old".into());
        let policies = [Arc::new(CompiledOverridePolicy::cluster(&policy))];
        let mut m1 = deployment();
        assert!(
            apply_overrides(&mut m1, &cluster("m1", &[], ""), &policies, &[])
                .unwrap()
                .is_empty()
        );
        let mut m2 = deployment();
        apply_overrides(&mut m2, &cluster("m2", &[], ""), &policies, &[]).unwrap();
        assert_eq!(m2["metadata"]["labels"]["old"], "style");
    }
}
