//! Which policy propagates a resource template: the claim a template carries, resource selector
//! matching with Karmada's implicit priorities (`pkg/util/selector.go`), and the precedence the
//! detector applies (`pkg/detector/policy.go propagateResource`, `compare.go`). Pure functions.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use flotilla_api::policy::v1alpha1::{PropagationSpec, ResourceSelector};
use flotilla_api::{ClusterPropagationPolicy, PropagationPolicy, labels, names};
use flotilla_machinery::selector::LabelSelector;

/// How precisely a resource selector matches a template (Karmada's `ImplicitPriority`): a
/// policy's implicit priority is the best over its selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ImplicitPriority {
    /// The selector does not match.
    MisMatch = 0,
    /// Only apiVersion and kind (and namespace, if set) are given, and they match.
    MatchAll = 1,
    /// The label selector matches.
    MatchLabelSelector = 2,
    /// The name matches.
    MatchName = 3,
}

/// A resource selector prepared for matching: the label selector is compiled once.
#[derive(Debug, Clone)]
pub struct CompiledSelector {
    /// apiVersion of the selected templates.
    pub api_version: String,
    /// Kind of the selected templates.
    pub kind: String,
    /// Namespace of the selected templates; `None` for any.
    pub namespace: Option<String>,
    /// Name of the selected template; `None` for any.
    pub name: Option<String>,
    /// The label selector, if any; `Err` if it is invalid, which matches nothing (as in
    /// Karmada, where the webhook should have refused it).
    labels: Option<Result<LabelSelector, ()>>,
}

impl CompiledSelector {
    /// Compiles a policy's resource selector.
    pub fn new(selector: &ResourceSelector) -> Self {
        let labels = selector.label_selector.as_ref().map(|ls| {
            serde_json::to_value(ls)
                .ok()
                .and_then(|v| LabelSelector::from_label_selector_json(&v).ok())
                .ok_or(())
        });
        CompiledSelector {
            api_version: selector.api_version.clone(),
            kind: selector.kind.clone(),
            namespace: selector.namespace().map(str::to_owned),
            name: selector.name().map(str::to_owned),
            labels,
        }
    }

    /// How this selector matches the template (Karmada's `ResourceSelectorPriority`):
    /// apiVersion and kind must be equal and the namespace, if set, too; then a set name must
    /// be equal (the label selector is ignored), else a label selector must match, else the
    /// whole kind matches.
    pub fn priority(&self, template: &Template<'_>) -> ImplicitPriority {
        if self.api_version != template.api_version
            || self.kind != template.kind
            || self
                .namespace
                .as_deref()
                .is_some_and(|ns| ns != template.namespace)
        {
            return ImplicitPriority::MisMatch;
        }
        if let Some(name) = &self.name {
            return if name == template.name {
                ImplicitPriority::MatchName
            } else {
                ImplicitPriority::MisMatch
            };
        }
        match &self.labels {
            None => ImplicitPriority::MatchAll,
            Some(Ok(selector)) if selector.matches_btree(template.labels) => {
                ImplicitPriority::MatchLabelSelector
            }
            Some(_) => ImplicitPriority::MisMatch,
        }
    }
}

/// Which of the two policy kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKind {
    /// A namespaced PropagationPolicy.
    Propagation,
    /// A ClusterPropagationPolicy.
    ClusterPropagation,
}

/// Identifies a policy: a PropagationPolicy by namespace and name, a ClusterPropagationPolicy by
/// name (its namespace is empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyRef {
    /// The policy kind.
    pub kind: PolicyKind,
    /// The namespace, empty for a ClusterPropagationPolicy.
    pub namespace: String,
    /// The name.
    pub name: String,
}

impl PolicyRef {
    /// A PropagationPolicy.
    pub fn propagation(namespace: &str, name: &str) -> Self {
        PolicyRef {
            kind: PolicyKind::Propagation,
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }

    /// A ClusterPropagationPolicy.
    pub fn cluster(name: &str) -> Self {
        PolicyRef {
            kind: PolicyKind::ClusterPropagation,
            namespace: String::new(),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for PolicyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PolicyKind::Propagation => {
                write!(f, "PropagationPolicy {}/{}", self.namespace, self.name)
            }
            PolicyKind::ClusterPropagation => write!(f, "ClusterPropagationPolicy {}", self.name),
        }
    }
}

/// A policy as the detector needs it: identity, permanent id, priority, compiled selectors and
/// the spec to copy into bindings.
#[derive(Debug, Clone)]
pub struct PolicyEntry {
    /// Kind, namespace and name.
    pub policy: PolicyRef,
    /// The `*.karmada.io/permanent-id` label value (set by the apiserver on creation).
    pub permanent_id: String,
    /// Whether the policy is being deleted: it then claims nothing.
    pub deleting: bool,
    /// `spec.priority`, 0 when unset.
    pub priority: i32,
    /// The resource selectors.
    pub selectors: Vec<CompiledSelector>,
    /// The spec, copied into bindings.
    pub spec: PropagationSpec,
}

impl PolicyEntry {
    /// A PropagationPolicy; selectors without a namespace select in the policy's namespace.
    pub fn from_propagation_policy(policy: &PropagationPolicy) -> Self {
        let namespace = policy.metadata.namespace.clone().unwrap_or_default();
        let selectors = policy
            .spec
            .resource_selectors
            .iter()
            .map(|s| {
                let mut compiled = CompiledSelector::new(s);
                compiled.namespace.get_or_insert_with(|| namespace.clone());
                compiled
            })
            .collect();
        PolicyEntry {
            policy: PolicyRef::propagation(
                &namespace,
                policy.metadata.name.as_deref().unwrap_or_default(),
            ),
            permanent_id: label(
                &policy.metadata.labels,
                labels::PROPAGATION_POLICY_PERMANENT_ID,
            ),
            deleting: policy.metadata.deletion_timestamp.is_some(),
            priority: policy.spec.explicit_priority(),
            selectors,
            spec: policy.spec.clone(),
        }
    }

    /// A ClusterPropagationPolicy.
    pub fn from_cluster_propagation_policy(policy: &ClusterPropagationPolicy) -> Self {
        PolicyEntry {
            policy: PolicyRef::cluster(policy.metadata.name.as_deref().unwrap_or_default()),
            permanent_id: label(
                &policy.metadata.labels,
                labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID,
            ),
            deleting: policy.metadata.deletion_timestamp.is_some(),
            priority: policy.spec.explicit_priority(),
            selectors: policy
                .spec
                .resource_selectors
                .iter()
                .map(CompiledSelector::new)
                .collect(),
            spec: policy.spec.clone(),
        }
    }

    /// The policy's implicit priority for the template: the best over its selectors, or
    /// [`ImplicitPriority::MisMatch`] if the policy cannot claim the template at all (it is
    /// being deleted, a PropagationPolicy outside the template's namespace, or a
    /// ClusterPropagationPolicy and the template is in a reserved namespace).
    pub fn priority(&self, template: &Template<'_>) -> ImplicitPriority {
        if self.deleting {
            return ImplicitPriority::MisMatch;
        }
        match self.policy.kind {
            PolicyKind::Propagation
                if template.namespace.is_empty() || template.namespace != self.policy.namespace =>
            {
                return ImplicitPriority::MisMatch;
            }
            PolicyKind::ClusterPropagation if names::is_reserved_namespace(template.namespace) => {
                return ImplicitPriority::MisMatch;
            }
            _ => {}
        }
        self.selectors
            .iter()
            .map(|s| s.priority(template))
            .max()
            .unwrap_or(ImplicitPriority::MisMatch)
    }

    /// Whether the policy selects the template.
    pub fn matches(&self, template: &Template<'_>) -> bool {
        self.priority(template) > ImplicitPriority::MisMatch
    }

    /// The claim this policy puts on the templates it propagates.
    pub fn claim(&self) -> Claim {
        match self.policy.kind {
            PolicyKind::Propagation => Claim::Propagation {
                namespace: self.policy.namespace.clone(),
                name: self.policy.name.clone(),
                permanent_id: self.permanent_id.clone(),
            },
            PolicyKind::ClusterPropagation => Claim::ClusterPropagation {
                name: self.policy.name.clone(),
                permanent_id: self.permanent_id.clone(),
            },
        }
    }
}

fn label(labels: &Option<BTreeMap<String, String>>, key: &str) -> String {
    labels
        .as_ref()
        .and_then(|l| l.get(key))
        .cloned()
        .unwrap_or_default()
}

/// Which policy a template says claims it, read from its claim label and annotations.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Claim {
    /// Not claimed.
    #[default]
    None,
    /// Claimed by a PropagationPolicy: label `propagationpolicy.karmada.io/permanent-id`,
    /// annotations `propagationpolicy.karmada.io/{namespace,name}`.
    Propagation {
        /// The policy's namespace.
        namespace: String,
        /// The policy's name.
        name: String,
        /// The policy's permanent id.
        permanent_id: String,
    },
    /// Claimed by a ClusterPropagationPolicy: label
    /// `clusterpropagationpolicy.karmada.io/permanent-id`, annotation
    /// `clusterpropagationpolicy.karmada.io/name`.
    ClusterPropagation {
        /// The policy's name.
        name: String,
        /// The policy's permanent id.
        permanent_id: String,
    },
}

/// The claims a template carries. Normally at most one; a template claimed by a
/// ClusterPropagationPolicy and later by a PropagationPolicy may briefly carry both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Claims {
    /// The PropagationPolicy claim: label `propagationpolicy.karmada.io/permanent-id` and
    /// annotations `propagationpolicy.karmada.io/{namespace,name}`, all non-empty.
    pub propagation: Option<Claim>,
    /// The ClusterPropagationPolicy claim: label
    /// `clusterpropagationpolicy.karmada.io/permanent-id` and annotation
    /// `clusterpropagationpolicy.karmada.io/name`, both non-empty.
    pub cluster: Option<Claim>,
}

impl Claims {
    /// Reads the claims from an object's labels and annotations, as Karmada reads them.
    pub fn read(
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
    ) -> Claims {
        let get = |map: &BTreeMap<String, String>, key: &str| {
            map.get(key).filter(|v| !v.is_empty()).cloned()
        };
        let propagation = match (
            get(annotations, labels::PROPAGATION_POLICY_NAMESPACE),
            get(annotations, labels::PROPAGATION_POLICY_NAME),
            get(labels, labels::PROPAGATION_POLICY_PERMANENT_ID),
        ) {
            (Some(namespace), Some(name), Some(permanent_id)) => Some(Claim::Propagation {
                namespace,
                name,
                permanent_id,
            }),
            _ => None,
        };
        let cluster = match (
            get(annotations, labels::CLUSTER_PROPAGATION_POLICY_NAME),
            get(labels, labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID),
        ) {
            (Some(name), Some(permanent_id)) => {
                Some(Claim::ClusterPropagation { name, permanent_id })
            }
            _ => None,
        };
        Claims {
            propagation,
            cluster,
        }
    }

    /// The claim that counts: the PropagationPolicy one before the ClusterPropagationPolicy one.
    pub fn effective(&self) -> &Claim {
        self.propagation
            .as_ref()
            .or(self.cluster.as_ref())
            .unwrap_or(&Claim::None)
    }
}

impl Claim {
    /// The claiming policy, if any.
    pub fn policy(&self) -> Option<PolicyRef> {
        match self {
            Claim::None => None,
            Claim::Propagation {
                namespace, name, ..
            } => Some(PolicyRef::propagation(namespace, name)),
            Claim::ClusterPropagation { name, .. } => Some(PolicyRef::cluster(name)),
        }
    }

    /// The claim label (key, value), if any.
    pub fn label(&self) -> Option<(&'static str, &str)> {
        match self {
            Claim::None => None,
            Claim::Propagation { permanent_id, .. } => {
                Some((labels::PROPAGATION_POLICY_PERMANENT_ID, permanent_id))
            }
            Claim::ClusterPropagation { permanent_id, .. } => Some((
                labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID,
                permanent_id,
            )),
        }
    }

    /// The claim labels this claim sets, and the ones it must not leave behind.
    pub fn labels(&self) -> BTreeMap<&'static str, Option<String>> {
        let mut out = BTreeMap::from([
            (labels::PROPAGATION_POLICY_PERMANENT_ID, None),
            (labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID, None),
        ]);
        if let Some((key, value)) = self.label() {
            out.insert(key, Some(value.to_owned()));
        }
        out
    }

    /// The claim annotations this claim sets, and the ones it must not leave behind.
    pub fn annotations(&self) -> BTreeMap<&'static str, Option<String>> {
        let mut out = BTreeMap::from([
            (labels::PROPAGATION_POLICY_NAMESPACE, None),
            (labels::PROPAGATION_POLICY_NAME, None),
            (labels::CLUSTER_PROPAGATION_POLICY_NAME, None),
        ]);
        match self {
            Claim::None => {}
            Claim::Propagation {
                namespace, name, ..
            } => {
                out.insert(
                    labels::PROPAGATION_POLICY_NAMESPACE,
                    Some(namespace.clone()),
                );
                out.insert(labels::PROPAGATION_POLICY_NAME, Some(name.clone()));
            }
            Claim::ClusterPropagation { name, .. } => {
                out.insert(labels::CLUSTER_PROPAGATION_POLICY_NAME, Some(name.clone()));
            }
        }
        out
    }
}

/// What matching needs to know about a resource template.
#[derive(Debug, Clone, Copy)]
pub struct Template<'a> {
    /// apiVersion, e.g. `apps/v1`.
    pub api_version: &'a str,
    /// Kind, e.g. `Deployment`.
    pub kind: &'a str,
    /// Namespace; empty for cluster-scoped templates.
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
    /// Labels.
    pub labels: &'a BTreeMap<String, String>,
    /// The claims the template carries.
    pub claims: &'a Claims,
}

/// Why a policy was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchReason {
    /// The template was already claimed by the policy, which still selects it; a claimed
    /// template is never taken over by another policy (preemption is not supported).
    Claimed,
    /// The policy is the best of those that select the template.
    Best {
        /// The policy's `spec.priority`.
        explicit: i32,
        /// How precisely its selectors match.
        implicit: ImplicitPriority,
    },
}

/// The policy chosen for a template.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    /// The policy.
    pub policy: &'a Arc<PolicyEntry>,
    /// Why it was chosen.
    pub reason: MatchReason,
}

/// Chooses the policy that propagates `template`, in Karmada's order:
///
/// 1. the PropagationPolicy the template is claimed by, if it still exists and selects it;
/// 2. the ClusterPropagationPolicy the template is claimed by, likewise;
/// 3. the best PropagationPolicy in the template's namespace that selects it;
/// 4. the best ClusterPropagationPolicy that selects it.
///
/// "Best" is the highest `spec.priority`, then the highest implicit priority (a name match over
/// a label selector match over a kind-wide match), then the lexicographically smallest name.
/// `pps` and `cpps` may hold policies that do not select the template (they are skipped); a
/// policy being deleted never matches. `None` means no policy selects the template.
pub fn select_policy<'a>(
    template: &Template<'_>,
    pps: &'a [Arc<PolicyEntry>],
    cpps: &'a [Arc<PolicyEntry>],
) -> Option<Match<'a>> {
    let claimed = |claim: &Option<Claim>, policies: &'a [Arc<PolicyEntry>]| {
        let claimed = claim.as_ref()?.policy()?;
        policies
            .iter()
            .find(|p| p.policy == claimed && p.matches(template))
            .map(|policy| Match {
                policy,
                reason: MatchReason::Claimed,
            })
    };
    if let Some(m) = claimed(&template.claims.propagation, pps) {
        return Some(m);
    }
    if let Some(m) = claimed(&template.claims.cluster, cpps) {
        return Some(m);
    }
    best(template, pps).or_else(|| best(template, cpps))
}

/// The best policy of one kind (Karmada's `getHighestPriority[Cluster]PropagationPolicy`).
fn best<'a>(template: &Template<'_>, policies: &'a [Arc<PolicyEntry>]) -> Option<Match<'a>> {
    let mut best: Option<(&'a Arc<PolicyEntry>, i32, ImplicitPriority)> = None;
    for policy in policies {
        let implicit = policy.priority(template);
        if implicit == ImplicitPriority::MisMatch {
            continue;
        }
        let explicit = policy.priority;
        let better = match best {
            None => true,
            Some((current, cur_explicit, cur_implicit)) => {
                (explicit, implicit) > (cur_explicit, cur_implicit)
                    || ((explicit, implicit) == (cur_explicit, cur_implicit)
                        && policy.policy.name < current.policy.name)
            }
        };
        if better {
            best = Some((policy, explicit, implicit));
        }
    }
    best.map(|(policy, explicit, implicit)| Match {
        policy,
        reason: MatchReason::Best { explicit, implicit },
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// A PropagationPolicy `namespace/name` with the given priority and selectors.
    fn pp(namespace: &str, name: &str, priority: i32, selectors: Vec<Value>) -> Arc<PolicyEntry> {
        let policy: PropagationPolicy = serde_json::from_value(json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": name, "namespace": namespace,
                "labels": {labels::PROPAGATION_POLICY_PERMANENT_ID: format!("id-{name}")}},
            "spec": {"resourceSelectors": selectors, "priority": priority},
        }))
        .expect("a valid PropagationPolicy");
        Arc::new(PolicyEntry::from_propagation_policy(&policy))
    }

    /// A ClusterPropagationPolicy with the given priority and selectors.
    fn cpp(name: &str, priority: i32, selectors: Vec<Value>) -> Arc<PolicyEntry> {
        let policy: ClusterPropagationPolicy = serde_json::from_value(json!({
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "ClusterPropagationPolicy",
            "metadata": {"name": name,
                "labels": {labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID: format!("cid-{name}")}},
            "spec": {"resourceSelectors": selectors, "priority": priority},
        }))
        .expect("a valid ClusterPropagationPolicy");
        Arc::new(PolicyEntry::from_cluster_propagation_policy(&policy))
    }

    fn deleting(policy: Arc<PolicyEntry>) -> Arc<PolicyEntry> {
        let mut p = (*policy).clone();
        p.deleting = true;
        Arc::new(p)
    }

    /// Every Deployment (of the policy's namespace, for a PropagationPolicy).
    fn all_deployments() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment"})
    }

    fn deployment_named(name: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": name})
    }

    fn deployments_labelled(key: &str, value: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "labelSelector": {"matchLabels": {key: value}}})
    }

    fn pp_claim(namespace: &str, name: &str) -> Option<Claim> {
        Some(Claim::Propagation {
            namespace: namespace.into(),
            name: name.into(),
            permanent_id: format!("id-{name}"),
        })
    }

    fn cpp_claim(name: &str) -> Option<Claim> {
        Some(Claim::ClusterPropagation {
            name: name.into(),
            permanent_id: format!("cid-{name}"),
        })
    }

    /// What a case expects: the chosen policy and whether it was chosen by its claim.
    enum Want {
        Nothing,
        Claimed(PolicyRef),
        Best(PolicyRef),
    }

    struct Case {
        name: &'static str,
        /// apiVersion, kind, namespace, name of the template.
        template: (&'static str, &'static str, &'static str, &'static str),
        labels: &'static [(&'static str, &'static str)],
        claims: Claims,
        pps: Vec<Arc<PolicyEntry>>,
        cpps: Vec<Arc<PolicyEntry>>,
        want: Want,
    }

    const NGINX: (&str, &str, &str, &str) = ("apps/v1", "Deployment", "default", "nginx");

    fn case(name: &'static str) -> Case {
        Case {
            name,
            template: NGINX,
            labels: &[("app", "nginx")],
            claims: Claims::default(),
            pps: vec![],
            cpps: vec![],
            want: Want::Nothing,
        }
    }

    fn ppr(namespace: &str, name: &str) -> PolicyRef {
        PolicyRef::propagation(namespace, name)
    }

    fn cppr(name: &str) -> PolicyRef {
        PolicyRef::cluster(name)
    }

    #[test]
    fn select_policy_follows_karmada_precedence() {
        let cases = vec![
            Case {
                ..case("no policies, no match")
            },
            Case {
                pps: vec![pp("default", "by-name", 0, vec![deployment_named("nginx")])],
                want: Want::Best(ppr("default", "by-name")),
                ..case("a name selector matches")
            },
            Case {
                pps: vec![pp("default", "other", 0, vec![deployment_named("web")])],
                ..case("a different name does not match")
            },
            Case {
                pps: vec![pp(
                    "default",
                    "p",
                    0,
                    vec![json!({"apiVersion": "apps/v1", "kind": "StatefulSet"})],
                )],
                ..case("a different kind does not match")
            },
            Case {
                pps: vec![pp(
                    "default",
                    "p",
                    0,
                    vec![json!({"apiVersion": "extensions/v1beta1", "kind": "Deployment"})],
                )],
                ..case("a different apiVersion does not match")
            },
            Case {
                pps: vec![pp("prod", "p", 0, vec![all_deployments()])],
                ..case("a PropagationPolicy only selects in its own namespace")
            },
            Case {
                pps: vec![pp(
                    "default",
                    "p",
                    0,
                    vec![
                        json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "prod"}),
                    ],
                )],
                ..case("a PropagationPolicy selector naming another namespace matches nothing")
            },
            Case {
                cpps: vec![cpp(
                    "c",
                    0,
                    vec![
                        json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "prod"}),
                    ],
                )],
                ..case("a ClusterPropagationPolicy selector namespace must be equal")
            },
            Case {
                cpps: vec![cpp(
                    "c",
                    0,
                    vec![
                        json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default"}),
                    ],
                )],
                want: Want::Best(cppr("c")),
                ..case("a ClusterPropagationPolicy selector with the template's namespace matches")
            },
            Case {
                pps: vec![pp(
                    "default",
                    "p",
                    0,
                    vec![deployments_labelled("app", "nginx")],
                )],
                want: Want::Best(ppr("default", "p")),
                ..case("a label selector matches")
            },
            Case {
                pps: vec![pp(
                    "default",
                    "p",
                    0,
                    vec![deployments_labelled("app", "web")],
                )],
                ..case("a label selector that does not match")
            },
            Case {
                pps: vec![pp(
                    "default",
                    "p",
                    0,
                    vec![json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "name": "nginx", "labelSelector": {"matchLabels": {"app": "web"}}})],
                )],
                want: Want::Best(ppr("default", "p")),
                ..case("with a name the label selector is ignored")
            },
            Case {
                pps: vec![pp(
                    "default",
                    "p",
                    0,
                    vec![json!({"apiVersion": "apps/v1", "kind": "Deployment",
                    "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]}})],
                )],
                ..case("an invalid label selector matches nothing")
            },
            Case {
                pps: vec![
                    pp("default", "a-by-name", 0, vec![deployment_named("nginx")]),
                    pp("default", "z-all", 1, vec![all_deployments()]),
                ],
                want: Want::Best(ppr("default", "z-all")),
                ..case("explicit priority beats implicit priority")
            },
            Case {
                pps: vec![
                    pp("default", "a-all", -1, vec![all_deployments()]),
                    pp("default", "b-all", 0, vec![all_deployments()]),
                ],
                want: Want::Best(ppr("default", "b-all")),
                ..case("an unset priority is 0, above a negative one")
            },
            Case {
                pps: vec![
                    pp("default", "a-all", 0, vec![all_deployments()]),
                    pp(
                        "default",
                        "b-labels",
                        0,
                        vec![deployments_labelled("app", "nginx")],
                    ),
                    pp("default", "c-name", 0, vec![deployment_named("nginx")]),
                ],
                want: Want::Best(ppr("default", "c-name")),
                ..case("a name match beats a label match beats a kind-wide match")
            },
            Case {
                pps: vec![
                    pp("default", "a-all", 0, vec![all_deployments()]),
                    pp(
                        "default",
                        "b-labels",
                        0,
                        vec![deployments_labelled("app", "nginx")],
                    ),
                ],
                want: Want::Best(ppr("default", "b-labels")),
                ..case("a label match beats a kind-wide match")
            },
            Case {
                pps: vec![
                    pp("default", "b", 0, vec![all_deployments()]),
                    pp("default", "a", 0, vec![all_deployments()]),
                    pp("default", "c", 0, vec![all_deployments()]),
                ],
                want: Want::Best(ppr("default", "a")),
                ..case("ties go to the smallest name")
            },
            Case {
                pps: vec![
                    pp("default", "a-all", 0, vec![all_deployments()]),
                    pp(
                        "default",
                        "b-mixed",
                        0,
                        vec![deployment_named("web"), deployment_named("nginx")],
                    ),
                ],
                want: Want::Best(ppr("default", "b-mixed")),
                ..case("a policy's implicit priority is its best selector's")
            },
            Case {
                pps: vec![pp("default", "p", 0, vec![all_deployments()])],
                cpps: vec![cpp("c", 1000, vec![deployment_named("nginx")])],
                want: Want::Best(ppr("default", "p")),
                ..case("any matching PropagationPolicy beats every ClusterPropagationPolicy")
            },
            Case {
                cpps: vec![
                    cpp("b", 0, vec![deployment_named("nginx")]),
                    cpp("a", 0, vec![deployment_named("nginx")]),
                    cpp("z", 5, vec![all_deployments()]),
                ],
                want: Want::Best(cppr("z")),
                ..case("ClusterPropagationPolicies are ranked the same way")
            },
            Case {
                claims: Claims {
                    propagation: pp_claim("default", "low"),
                    cluster: None,
                },
                pps: vec![
                    pp("default", "high", 10, vec![deployment_named("nginx")]),
                    pp("default", "low", 0, vec![all_deployments()]),
                ],
                want: Want::Claimed(ppr("default", "low")),
                ..case("a claimed template stays with its PropagationPolicy (no preemption)")
            },
            Case {
                claims: Claims {
                    propagation: None,
                    cluster: cpp_claim("c"),
                },
                pps: vec![pp("default", "p", 10, vec![deployment_named("nginx")])],
                cpps: vec![cpp("c", 0, vec![all_deployments()])],
                want: Want::Claimed(cppr("c")),
                ..case("a claimed ClusterPropagationPolicy precedes an unclaimed PropagationPolicy")
            },
            Case {
                claims: Claims {
                    propagation: pp_claim("default", "p"),
                    cluster: cpp_claim("c"),
                },
                pps: vec![pp("default", "p", 0, vec![all_deployments()])],
                cpps: vec![cpp("c", 0, vec![all_deployments()])],
                want: Want::Claimed(ppr("default", "p")),
                ..case("a PropagationPolicy claim is read before a ClusterPropagationPolicy claim")
            },
            Case {
                claims: Claims {
                    propagation: pp_claim("default", "gone"),
                    cluster: cpp_claim("c"),
                },
                pps: vec![pp("default", "p", 0, vec![all_deployments()])],
                cpps: vec![cpp("c", 0, vec![all_deployments()])],
                want: Want::Claimed(cppr("c")),
                ..case(
                    "a stale PropagationPolicy claim falls back to the ClusterPropagationPolicy claim",
                )
            },
            Case {
                claims: Claims {
                    propagation: pp_claim("default", "gone"),
                    cluster: None,
                },
                cpps: vec![cpp("c", 0, vec![all_deployments()])],
                want: Want::Best(cppr("c")),
                ..case("a claim by a deleted policy falls back to the best match")
            },
            Case {
                claims: Claims {
                    propagation: pp_claim("default", "narrowed"),
                    cluster: None,
                },
                pps: vec![
                    pp("default", "narrowed", 10, vec![deployment_named("web")]),
                    pp("default", "other", 0, vec![all_deployments()]),
                ],
                want: Want::Best(ppr("default", "other")),
                ..case("a claim by a policy that no longer selects the template falls back")
            },
            Case {
                claims: Claims {
                    propagation: pp_claim("default", "p"),
                    cluster: None,
                },
                pps: vec![
                    deleting(pp("default", "p", 10, vec![all_deployments()])),
                    pp("default", "q", 0, vec![all_deployments()]),
                ],
                want: Want::Best(ppr("default", "q")),
                ..case("a claim by a policy being deleted falls back")
            },
            Case {
                pps: vec![deleting(pp("default", "p", 10, vec![all_deployments()]))],
                ..case("a policy being deleted claims nothing")
            },
            Case {
                claims: Claims {
                    propagation: Some(Claim::Propagation {
                        namespace: "default".into(),
                        name: "p".into(),
                        permanent_id: "id-of-a-previous-incarnation".into(),
                    }),
                    cluster: None,
                },
                pps: vec![
                    pp("default", "a", 10, vec![all_deployments()]),
                    pp("default", "p", 0, vec![all_deployments()]),
                ],
                want: Want::Claimed(ppr("default", "p")),
                ..case("a claim is found by policy name, as Karmada does, even if re-created")
            },
            Case {
                template: ("rbac.authorization.k8s.io/v1", "ClusterRole", "", "view"),
                pps: vec![pp(
                    "",
                    "p",
                    0,
                    vec![
                        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"}),
                    ],
                )],
                cpps: vec![cpp(
                    "c",
                    0,
                    vec![
                        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "name": "view"}),
                    ],
                )],
                want: Want::Best(cppr("c")),
                ..case("cluster-scoped templates are only claimed by ClusterPropagationPolicies")
            },
            Case {
                template: ("apps/v1", "Deployment", "karmada-es-member1", "nginx"),
                cpps: vec![cpp("c", 0, vec![all_deployments()])],
                ..case("ClusterPropagationPolicies never select in reserved namespaces")
            },
            Case {
                template: ("apps/v1", "Deployment", "karmada-system", "nginx"),
                cpps: vec![cpp(
                    "c",
                    0,
                    vec![
                        json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "karmada-system"}),
                    ],
                )],
                ..case("not even when named")
            },
        ];
        for case in cases {
            let (api_version, kind, namespace, name) = case.template;
            let labels: BTreeMap<String, String> = case
                .labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let template = Template {
                api_version,
                kind,
                namespace,
                name,
                labels: &labels,
                claims: &case.claims,
            };
            let got = select_policy(&template, &case.pps, &case.cpps);
            match (&case.want, got) {
                (Want::Nothing, None) => {}
                (Want::Claimed(want), Some(m)) if m.reason == MatchReason::Claimed => {
                    assert_eq!(&m.policy.policy, want, "{}", case.name);
                }
                (Want::Best(want), Some(m)) if matches!(m.reason, MatchReason::Best { .. }) => {
                    assert_eq!(&m.policy.policy, want, "{}", case.name);
                }
                (_, got) => panic!(
                    "{}: got {:?}",
                    case.name,
                    got.map(|m| (m.policy.policy.clone(), m.reason))
                ),
            }
        }
    }

    #[test]
    fn implicit_priority_of_selectors() {
        struct Case {
            name: &'static str,
            selector: Value,
            want: ImplicitPriority,
        }
        let cases = [
            Case {
                name: "kind-wide",
                selector: all_deployments(),
                want: ImplicitPriority::MatchAll,
            },
            Case {
                name: "labels",
                selector: deployments_labelled("app", "nginx"),
                want: ImplicitPriority::MatchLabelSelector,
            },
            Case {
                name: "name",
                selector: deployment_named("nginx"),
                want: ImplicitPriority::MatchName,
            },
            Case {
                name: "other name",
                selector: deployment_named("web"),
                want: ImplicitPriority::MisMatch,
            },
            Case {
                name: "empty label selector selects everything",
                selector: json!({"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {}}),
                want: ImplicitPriority::MatchLabelSelector,
            },
            Case {
                name: "empty name is unset",
                selector: json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": ""}),
                want: ImplicitPriority::MatchAll,
            },
            Case {
                name: "expressions",
                selector: json!({"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector":
                    {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}}),
                want: ImplicitPriority::MatchLabelSelector,
            },
        ];
        let labels = BTreeMap::from([("app".to_string(), "nginx".to_string())]);
        let claims = Claims::default();
        let template = Template {
            api_version: "apps/v1",
            kind: "Deployment",
            namespace: "default",
            name: "nginx",
            labels: &labels,
            claims: &claims,
        };
        for case in cases {
            let selector: ResourceSelector = serde_json::from_value(case.selector).unwrap();
            assert_eq!(
                CompiledSelector::new(&selector).priority(&template),
                case.want,
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn claims_are_read_like_karmada() {
        struct Case {
            name: &'static str,
            labels: &'static [(&'static str, &'static str)],
            annotations: &'static [(&'static str, &'static str)],
            want: Claim,
        }
        let cases = [
            Case {
                name: "unclaimed",
                labels: &[],
                annotations: &[],
                want: Claim::None,
            },
            Case {
                name: "PropagationPolicy",
                labels: &[(labels::PROPAGATION_POLICY_PERMANENT_ID, "id")],
                annotations: &[
                    (labels::PROPAGATION_POLICY_NAMESPACE, "ns"),
                    (labels::PROPAGATION_POLICY_NAME, "p"),
                ],
                want: Claim::Propagation {
                    namespace: "ns".into(),
                    name: "p".into(),
                    permanent_id: "id".into(),
                },
            },
            Case {
                name: "PropagationPolicy claim without its id is no claim",
                labels: &[],
                annotations: &[
                    (labels::PROPAGATION_POLICY_NAMESPACE, "ns"),
                    (labels::PROPAGATION_POLICY_NAME, "p"),
                ],
                want: Claim::None,
            },
            Case {
                name: "empty values are no claim",
                labels: &[(labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID, "")],
                annotations: &[(labels::CLUSTER_PROPAGATION_POLICY_NAME, "c")],
                want: Claim::None,
            },
            Case {
                name: "ClusterPropagationPolicy",
                labels: &[(labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID, "cid")],
                annotations: &[(labels::CLUSTER_PROPAGATION_POLICY_NAME, "c")],
                want: Claim::ClusterPropagation {
                    name: "c".into(),
                    permanent_id: "cid".into(),
                },
            },
            Case {
                name: "both: the PropagationPolicy claim counts",
                labels: &[
                    (labels::CLUSTER_PROPAGATION_POLICY_PERMANENT_ID, "cid"),
                    (labels::PROPAGATION_POLICY_PERMANENT_ID, "id"),
                ],
                annotations: &[
                    (labels::CLUSTER_PROPAGATION_POLICY_NAME, "c"),
                    (labels::PROPAGATION_POLICY_NAMESPACE, "ns"),
                    (labels::PROPAGATION_POLICY_NAME, "p"),
                ],
                want: Claim::Propagation {
                    namespace: "ns".into(),
                    name: "p".into(),
                    permanent_id: "id".into(),
                },
            },
        ];
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        for case in cases {
            let claims = Claims::read(&map(case.labels), &map(case.annotations));
            assert_eq!(claims.effective(), &case.want, "{}", case.name);
        }
    }
}
