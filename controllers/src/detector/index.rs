//! In-memory indexes that keep the detector's work per event proportional to what the event
//! touches, not to the size of the federation: policies bucketed by what their selectors can
//! select, and templates grouped by the policy that claims them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use super::matching::{PolicyEntry, PolicyKind, PolicyRef, Template};

/// Where a selector can match: policy kind, apiVersion, kind, and the namespace and name it
/// pins (`None`: any).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Bucket {
    policy_kind: PolicyKind,
    api_version: String,
    kind: String,
    namespace: Option<String>,
    name: Option<String>,
}

fn buckets(entry: &PolicyEntry) -> HashSet<Bucket> {
    entry
        .selectors
        .iter()
        .map(|s| Bucket {
            policy_kind: entry.policy.kind,
            api_version: s.api_version.clone(),
            kind: s.kind.clone(),
            // A PropagationPolicy only ever selects in its own namespace.
            namespace: match entry.policy.kind {
                PolicyKind::Propagation => Some(entry.policy.namespace.clone()),
                PolicyKind::ClusterPropagation => s.namespace.clone(),
            },
            name: s.name.clone(),
        })
        .collect()
}

/// All known policies, and for each (apiVersion, kind, namespace, name) the policies that may
/// select a template there. Finding the candidates of a template costs a handful of hash
/// lookups, whatever the number of policies.
#[derive(Debug, Default)]
pub struct PolicyIndex {
    policies: HashMap<PolicyRef, Arc<PolicyEntry>>,
    buckets: HashMap<Bucket, BTreeMap<PolicyRef, Arc<PolicyEntry>>>,
}

impl PolicyIndex {
    /// Adds or replaces a policy; returns the previous version.
    pub fn upsert(&mut self, entry: Arc<PolicyEntry>) -> Option<Arc<PolicyEntry>> {
        let previous = self.remove(&entry.policy);
        for bucket in buckets(&entry) {
            self.buckets
                .entry(bucket)
                .or_default()
                .insert(entry.policy.clone(), Arc::clone(&entry));
        }
        self.policies.insert(entry.policy.clone(), entry);
        previous
    }

    /// Removes a policy; returns it.
    pub fn remove(&mut self, policy: &PolicyRef) -> Option<Arc<PolicyEntry>> {
        let previous = self.policies.remove(policy)?;
        for bucket in buckets(&previous) {
            if let Some(members) = self.buckets.get_mut(&bucket) {
                members.remove(policy);
                if members.is_empty() {
                    self.buckets.remove(&bucket);
                }
            }
        }
        Some(previous)
    }

    /// The policy, if known.
    pub fn get(&self, policy: &PolicyRef) -> Option<&Arc<PolicyEntry>> {
        self.policies.get(policy)
    }

    /// The policies of one kind.
    pub fn of_kind(&self, kind: PolicyKind) -> impl Iterator<Item = &Arc<PolicyEntry>> {
        self.policies
            .values()
            .filter(move |p| p.policy.kind == kind)
    }

    /// The PropagationPolicies and ClusterPropagationPolicies that may select the template, in
    /// name order; the caller still has to match them.
    pub fn candidates(
        &self,
        template: &Template<'_>,
    ) -> (Vec<Arc<PolicyEntry>>, Vec<Arc<PolicyEntry>>) {
        let namespace = (!template.namespace.is_empty()).then(|| template.namespace.to_owned());
        let name = Some(template.name.to_owned());
        let mut found: [BTreeMap<PolicyRef, Arc<PolicyEntry>>; 2] = Default::default();
        for (slot, policy_kind) in [PolicyKind::Propagation, PolicyKind::ClusterPropagation]
            .into_iter()
            .enumerate()
        {
            let namespaces: &[Option<String>] = match policy_kind {
                PolicyKind::Propagation if namespace.is_none() => &[],
                PolicyKind::Propagation => std::slice::from_ref(&namespace),
                PolicyKind::ClusterPropagation => &[namespace.clone(), None],
            };
            for ns in namespaces {
                for n in [&name, &None] {
                    let bucket = Bucket {
                        policy_kind,
                        api_version: template.api_version.to_owned(),
                        kind: template.kind.to_owned(),
                        namespace: ns.clone(),
                        name: n.clone(),
                    };
                    if let Some(members) = self.buckets.get(&bucket) {
                        for (r, p) in members {
                            found[slot]
                                .entry(r.clone())
                                .or_insert_with(|| Arc::clone(p));
                        }
                    }
                }
            }
        }
        let [pps, cpps] = found;
        (pps.into_values().collect(), cpps.into_values().collect())
    }

    /// Number of policies.
    pub fn len(&self) -> usize {
        self.policies.len()
    }

    /// Whether there are no policies.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }
}

/// Which templates each policy claims, as the templates' claim labels say.
#[derive(Debug)]
pub struct ClaimIndex<K> {
    by_policy: HashMap<PolicyRef, HashSet<K>>,
    by_template: HashMap<K, PolicyRef>,
}

impl<K> Default for ClaimIndex<K> {
    fn default() -> Self {
        ClaimIndex {
            by_policy: HashMap::new(),
            by_template: HashMap::new(),
        }
    }
}

impl<K: Clone + Eq + Hash> ClaimIndex<K> {
    /// Records that `template` is claimed by `policy` (or by nothing).
    pub fn set(&mut self, template: &K, policy: Option<PolicyRef>) {
        if self.by_template.get(template) == policy.as_ref() {
            return;
        }
        self.remove(template);
        if let Some(policy) = policy {
            self.by_policy
                .entry(policy.clone())
                .or_default()
                .insert(template.clone());
            self.by_template.insert(template.clone(), policy);
        }
    }

    /// Forgets a template.
    pub fn remove(&mut self, template: &K) {
        if let Some(previous) = self.by_template.remove(template)
            && let Some(templates) = self.by_policy.get_mut(&previous)
        {
            templates.remove(template);
            if templates.is_empty() {
                self.by_policy.remove(&previous);
            }
        }
    }

    /// The templates `policy` claims.
    pub fn templates_of(&self, policy: &PolicyRef) -> Vec<K> {
        self.by_policy
            .get(policy)
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The policy claiming `template`.
    pub fn policy_of(&self, template: &K) -> Option<&PolicyRef> {
        self.by_template.get(template)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use flotilla_api::{ClusterPropagationPolicy, PropagationPolicy};
    use serde_json::{Value, json};

    use super::super::matching::Claims;
    use super::*;

    fn pp(namespace: &str, name: &str, selectors: Value) -> Arc<PolicyEntry> {
        let p: PropagationPolicy = serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"resourceSelectors": selectors},
        }))
        .unwrap();
        Arc::new(PolicyEntry::from_propagation_policy(&p))
    }

    fn cpp(name: &str, selectors: Value) -> Arc<PolicyEntry> {
        let p: ClusterPropagationPolicy = serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {"resourceSelectors": selectors},
        }))
        .unwrap();
        Arc::new(PolicyEntry::from_cluster_propagation_policy(&p))
    }

    fn names(policies: &[Arc<PolicyEntry>]) -> Vec<&str> {
        policies.iter().map(|p| p.policy.name.as_str()).collect()
    }

    #[test]
    fn candidates_come_from_the_template_buckets() {
        let mut index = PolicyIndex::default();
        index.upsert(pp(
            "default",
            "by-name",
            json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}]),
        ));
        index.upsert(pp(
            "default",
            "other-name",
            json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}]),
        ));
        index.upsert(pp(
            "default",
            "all",
            json!([{"apiVersion": "apps/v1", "kind": "Deployment"}]),
        ));
        index.upsert(pp(
            "prod",
            "elsewhere",
            json!([{"apiVersion": "apps/v1", "kind": "Deployment"}]),
        ));
        index.upsert(pp(
            "default",
            "configmaps",
            json!([{"apiVersion": "v1", "kind": "ConfigMap"}]),
        ));
        index.upsert(cpp(
            "c-any",
            json!([{"apiVersion": "apps/v1", "kind": "Deployment"}]),
        ));
        index.upsert(cpp(
            "c-ns",
            json!([{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default"}]),
        ));
        index.upsert(cpp(
            "c-other-ns",
            json!([{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "prod"}]),
        ));
        index.upsert(cpp(
            "c-name",
            json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"},
            {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default"}]),
        ));
        assert_eq!(index.len(), 9);

        let labels = BTreeMap::new();
        let claims = Claims::default();
        let template = Template {
            api_version: "apps/v1",
            kind: "Deployment",
            namespace: "default",
            name: "nginx",
            labels: &labels,
            claims: &claims,
        };
        let (pps, cpps) = index.candidates(&template);
        assert_eq!(names(&pps), vec!["all", "by-name"]);
        assert_eq!(names(&cpps), vec!["c-any", "c-name", "c-ns"]);

        index.upsert(pp(
            "default",
            "all",
            json!([{"apiVersion": "apps/v1", "kind": "StatefulSet"}]),
        ));
        index.remove(&PolicyRef::cluster("c-name"));
        let (pps, cpps) = index.candidates(&template);
        assert_eq!(
            names(&pps),
            vec!["by-name"],
            "an updated policy leaves its old buckets"
        );
        assert_eq!(
            names(&cpps),
            vec!["c-any", "c-ns"],
            "a removed policy leaves every bucket"
        );
        assert_eq!(index.len(), 8);

        let cluster_role = Template {
            api_version: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            namespace: "",
            ..template
        };
        index.upsert(cpp(
            "roles",
            json!([{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"}]),
        ));
        let (pps, cpps) = index.candidates(&cluster_role);
        assert!(pps.is_empty());
        assert_eq!(names(&cpps), vec!["roles"]);
    }

    #[test]
    fn claims_are_grouped_by_policy() {
        let mut claims: ClaimIndex<&str> = ClaimIndex::default();
        let p = PolicyRef::propagation("default", "p");
        let c = PolicyRef::cluster("c");
        claims.set(&"a", Some(p.clone()));
        claims.set(&"b", Some(p.clone()));
        claims.set(&"c", Some(c.clone()));
        let mut of_p = claims.templates_of(&p);
        of_p.sort();
        assert_eq!(of_p, vec!["a", "b"]);
        claims.set(&"b", Some(c.clone()));
        assert_eq!(claims.templates_of(&p), vec!["a"]);
        claims.set(&"a", None);
        assert!(claims.templates_of(&p).is_empty());
        claims.remove(&"c");
        assert_eq!(claims.templates_of(&c), vec!["b"]);
        assert_eq!(claims.policy_of(&"b"), Some(&c));
    }
}
