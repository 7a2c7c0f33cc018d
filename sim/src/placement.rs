//! The scheduler's view of the cluster: every node's allocatable resources and what is placed on
//! it, and the placement decision itself — kube-scheduler's default filters in its order
//! (NodeUnschedulable, TaintToleration with the `not-ready` taint of a node that is not Ready,
//! NodeAffinity and nodeSelector, NodeResourcesFit) and a least-allocated score, so pods spread.
//!
//! The ledger is kept from watch events (bound pods) plus *assumptions*: a pod placed but not yet
//! created, or room kept for the replacement of a pending pod, so that decisions taken back to
//! back never overcommit a node before the watch catches up.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, PodSpec, Taint, Toleration};

use crate::Key;
use crate::resources::{Amounts, node_allocatable, pod_demand};

/// How long room kept for the replacement of a pending pod waits for it.
const RESERVATION_TTL: Duration = Duration::from_secs(15);

pub const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";

/// What the scheduler needs to know of a node.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeView {
    pub allocatable: Amounts,
    pub unschedulable: bool,
    pub ready: bool,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
}

impl NodeView {
    pub fn of(node: &Node) -> NodeView {
        NodeView {
            allocatable: node_allocatable(node),
            unschedulable: node
                .spec
                .as_ref()
                .and_then(|s| s.unschedulable)
                .unwrap_or(false),
            ready: node_is_ready(node),
            labels: node.metadata.labels.clone().unwrap_or_default(),
            taints: node
                .spec
                .as_ref()
                .and_then(|s| s.taints.clone())
                .unwrap_or_default(),
        }
    }
}

/// Whether the node reports `Ready=True`.
pub fn node_is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The outcome of placing one pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fit {
    /// The chosen node.
    Node(String),
    /// No node fits; kube-scheduler's message saying why, node by node.
    Unschedulable(String),
}

/// An assumption handed out by [`Ledger::place`]: confirm it once the pod exists, forget it if
/// the pod could not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token(u64);

#[derive(Debug, Default)]
pub struct Ledger {
    nodes: BTreeMap<String, NodeView>,
    /// Per node name (whether or not the node still exists): everything counted on it.
    usage: HashMap<String, Amounts>,
    /// Bound, non-terminal pods seen in the cache.
    pods: HashMap<Key, (String, Amounts)>,
    assumed: HashMap<Token, (String, Amounts)>,
    /// Room kept for the replacement of a pending pod, by the uid of its controller.
    reservations: HashMap<String, Vec<(String, Amounts, Instant)>>,
    next_token: u64,
}

impl Ledger {
    pub fn node_names(&self) -> impl Iterator<Item = &String> {
        self.nodes.keys()
    }

    pub fn has_node(&self, name: &str) -> bool {
        self.nodes.contains_key(name)
    }

    /// Records a node; true when it may have room it did not have before.
    pub fn set_node(&mut self, name: &str, view: NodeView) -> bool {
        match self.nodes.insert(name.to_owned(), view.clone()) {
            None => true,
            Some(old) => {
                old != view
                    && (view.allocatable.cpu_milli > old.allocatable.cpu_milli
                        || view.allocatable.memory > old.allocatable.memory
                        || view.allocatable.pods > old.allocatable.pods
                        || (old.unschedulable && !view.unschedulable)
                        || (!old.ready && view.ready)
                        || old.labels != view.labels
                        || old.taints != view.taints)
            }
        }
    }

    pub fn remove_node(&mut self, name: &str) {
        self.nodes.remove(name);
    }

    fn count(&mut self, node: &str, amounts: Amounts) {
        self.usage.entry(node.to_owned()).or_default().add(amounts);
    }

    fn uncount(&mut self, node: &str, amounts: Amounts) {
        if let Some(u) = self.usage.get_mut(node) {
            u.sub(amounts);
            if *u == Amounts::default() {
                self.usage.remove(node);
            }
        }
    }

    /// Records what a pod uses now (`None`: nothing — unbound, finished or gone); true when
    /// room was freed.
    pub fn set_pod(&mut self, key: &Key, using: Option<(String, Amounts)>) -> bool {
        let old = match &using {
            Some(u) => self.pods.insert(key.clone(), u.clone()),
            None => self.pods.remove(key),
        };
        if old == using {
            return false;
        }
        if let Some((node, amounts)) = &using {
            self.count(node, *amounts);
        }
        match old {
            Some((node, amounts)) => {
                self.uncount(&node, amounts);
                true
            }
            None => false,
        }
    }

    /// Forgets every pod (before the cache is read again from scratch).
    pub fn clear_pods(&mut self) {
        for (_, (node, amounts)) in std::mem::take(&mut self.pods) {
            self.uncount(&node, amounts);
        }
    }

    /// Where the pod with `spec` would go now.
    pub fn evaluate(&self, spec: &PodSpec) -> Fit {
        match self.candidates(spec, &pod_demand(spec)) {
            Ok(c) => Fit::Node(c[0].1.clone()),
            Err(message) => Fit::Unschedulable(message),
        }
    }

    /// Chooses a node for a pod about to be created by the controller with uid `owner`, and
    /// counts the pod there until [`Ledger::confirm`] or [`Ledger::forget`]. Room reserved for
    /// this controller is used first.
    pub fn place(&mut self, spec: &PodSpec, owner: Option<&str>) -> Option<(String, Token)> {
        let now = Instant::now();
        self.expire_reservations(now);
        let demand = pod_demand(spec);
        let mut reserved = Vec::new();
        if let Some(owner) = owner
            && let Some(list) = self.reservations.remove(owner)
        {
            for (node, amounts, at) in list {
                self.uncount(&node, amounts);
                reserved.push((node, amounts, at));
            }
        }
        let chosen = match self.candidates(spec, &demand) {
            Ok(candidates) => {
                let pos = reserved
                    .iter()
                    .position(|(n, a, _)| *a == demand && candidates.iter().any(|(_, c)| c == n));
                let node = match pos {
                    Some(i) => reserved.remove(i).0,
                    None => candidates[0].1.clone(),
                };
                Some(node)
            }
            Err(_) => None,
        };
        // Reservations this pod did not use stay for its siblings.
        if let Some(owner) = owner
            && !reserved.is_empty()
        {
            for (node, amounts, _) in &reserved {
                self.count(node, *amounts);
            }
            self.reservations.insert(owner.to_owned(), reserved);
        }
        let node = chosen?;
        self.next_token += 1;
        let token = Token(self.next_token);
        self.count(&node, demand);
        self.assumed.insert(token, (node.clone(), demand));
        Some((node, token))
    }

    /// The pod of `token` exists as `key`: it is counted as that pod from now on.
    pub fn confirm(&mut self, token: Token, key: &Key) {
        let Some((node, amounts)) = self.assumed.remove(&token) else {
            return;
        };
        if self.pods.contains_key(key) {
            // The watch was quicker: the pod is already counted.
            self.uncount(&node, amounts);
        } else {
            self.pods.insert(key.clone(), (node, amounts));
        }
    }

    /// The pod of `token` was not created.
    pub fn forget(&mut self, token: Token) {
        if let Some((node, amounts)) = self.assumed.remove(&token) {
            self.uncount(&node, amounts);
        }
    }

    /// Keeps room on `node` for the pod that the controller `owner` will create in place of
    /// one of its pending pods.
    pub fn reserve(&mut self, owner: &str, node: &str, spec: &PodSpec) {
        let amounts = pod_demand(spec);
        self.count(node, amounts);
        self.reservations
            .entry(owner.to_owned())
            .or_default()
            .push((node.to_owned(), amounts, Instant::now()));
    }

    fn expire_reservations(&mut self, now: Instant) {
        let mut expired = Vec::new();
        for list in self.reservations.values_mut() {
            list.retain(|(node, amounts, at)| {
                let keep = now.duration_since(*at) < RESERVATION_TTL;
                if !keep {
                    expired.push((node.clone(), *amounts));
                }
                keep
            });
        }
        self.reservations.retain(|_, l| !l.is_empty());
        for (node, amounts) in expired {
            self.uncount(&node, amounts);
        }
    }

    /// Nodes that fit, best first, or kube-scheduler's explanation of why none does.
    fn candidates(&self, spec: &PodSpec, demand: &Amounts) -> Result<Vec<(u64, String)>, String> {
        if self.nodes.is_empty() {
            return Err("no nodes available to schedule pods".to_owned());
        }
        let mut fits = Vec::new();
        let mut histogram: BTreeMap<String, usize> = BTreeMap::new();
        for (name, node) in &self.nodes {
            let used = self.usage.get(name).copied().unwrap_or_default();
            let reasons = filter(name, node, spec, demand, &used);
            if reasons.is_empty() {
                fits.push((score(node, &used, demand), name.clone()));
            } else {
                for r in reasons {
                    *histogram.entry(r).or_default() += 1;
                }
            }
        }
        if fits.is_empty() {
            let mut parts: Vec<String> = histogram
                .into_iter()
                .map(|(reason, n)| format!("{n} {reason}"))
                .collect();
            parts.sort();
            return Err(format!(
                "0/{} nodes are available: {}.",
                self.nodes.len(),
                parts.join(", ")
            ));
        }
        fits.sort();
        Ok(fits)
    }
}

/// The share of the node in use once the pod is on it (lower is better), in millionths:
/// least-allocated over CPU, memory and pod slots, so pods without requests spread by count.
fn score(node: &NodeView, used: &Amounts, demand: &Amounts) -> u64 {
    let share = |used: i64, demand: i64, total: i64| -> u64 {
        if total <= 0 {
            return 0;
        }
        let after = used.saturating_add(demand).max(0) as u128;
        (after * 1_000_000 / total as u128) as u64
    };
    share(used.cpu_milli, demand.cpu_milli, node.allocatable.cpu_milli)
        + share(used.memory, demand.memory, node.allocatable.memory)
        + share(used.pods, demand.pods, node.allocatable.pods)
}

/// Why the pod cannot go to `node` (empty: it fits), in kube-scheduler's words; like kube, the
/// first failing filter decides, except that resource shortfalls are all reported.
fn filter(
    name: &str,
    node: &NodeView,
    spec: &PodSpec,
    demand: &Amounts,
    used: &Amounts,
) -> Vec<String> {
    let tolerations = spec.tolerations.as_deref().unwrap_or_default();
    if node.unschedulable
        && !tolerated(
            tolerations,
            &Taint {
                key: TAINT_UNSCHEDULABLE.into(),
                effect: "NoSchedule".into(),
                ..Default::default()
            },
        )
    {
        return vec!["node(s) were unschedulable".to_owned()];
    }
    let not_ready = Taint {
        key: TAINT_NOT_READY.into(),
        effect: "NoSchedule".into(),
        ..Default::default()
    };
    let implied = (!node.ready).then_some(&not_ready);
    for taint in node.taints.iter().chain(implied) {
        if matches!(taint.effect.as_str(), "NoSchedule" | "NoExecute")
            && !tolerated(tolerations, taint)
        {
            return vec![format!(
                "node(s) had untolerated taint {{{}: {}}}",
                taint.key,
                taint.value.as_deref().unwrap_or("")
            )];
        }
    }
    if !node_matches(spec, name, &node.labels) {
        return vec!["node(s) didn't match Pod's node affinity/selector".to_owned()];
    }
    let mut reasons = Vec::new();
    let alloc = &node.allocatable;
    if used.pods.saturating_add(1) > alloc.pods {
        reasons.push("Too many pods".to_owned());
    }
    if demand.cpu_milli > 0 && used.cpu_milli.saturating_add(demand.cpu_milli) > alloc.cpu_milli {
        reasons.push("Insufficient cpu".to_owned());
    }
    if demand.memory > 0 && used.memory.saturating_add(demand.memory) > alloc.memory {
        reasons.push("Insufficient memory".to_owned());
    }
    reasons
}

/// Whether `tolerations` tolerate `taint` (`Toleration.ToleratesTaint`).
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| {
        let effect_ok = t
            .effect
            .as_deref()
            .is_none_or(|e| e.is_empty() || e == taint.effect);
        let key = t.key.as_deref().unwrap_or("");
        let key_ok = key.is_empty() || key == taint.key;
        let op = t.operator.as_deref().unwrap_or("Equal");
        let value_ok = match op {
            "Exists" => true,
            _ => {
                !key.is_empty()
                    && t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
            }
        };
        // An empty key with Exists tolerates everything.
        effect_ok && key_ok && value_ok
    })
}

/// Whether the node (its name and labels) satisfies the pod's nodeSelector and required node
/// affinity.
pub fn node_matches(spec: &PodSpec, name: &str, labels: &BTreeMap<String, String>) -> bool {
    if let Some(selector) = &spec.node_selector
        && !selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    {
        return false;
    }
    let Some(required) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
    else {
        return true;
    };
    // Terms are ORed; an empty term matches no node.
    required.node_selector_terms.iter().any(|term| {
        let exprs = term.match_expressions.as_deref().unwrap_or_default();
        let fields = term.match_fields.as_deref().unwrap_or_default();
        (!exprs.is_empty() || !fields.is_empty())
            && exprs
                .iter()
                .all(|r| requirement_matches(r, labels.get(&r.key).map(String::as_str)))
            && fields
                .iter()
                .all(|r| r.key == "metadata.name" && requirement_matches(r, Some(name)))
    })
}

fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or_default();
    let number = |s: &str| s.parse::<i64>().ok();
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(v), Some(bound)) = (
                value.and_then(number),
                values.first().and_then(|b| number(b)),
            ) else {
                return false;
            };
            if r.operator == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        Affinity, Container, NodeAffinity, NodeSelector, NodeSelectorTerm, ResourceRequirements,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    fn node(cpu_milli: i64, pods: i64) -> NodeView {
        NodeView {
            allocatable: Amounts {
                cpu_milli,
                memory: 32 << 30,
                pods,
            },
            ready: true,
            ..Default::default()
        }
    }

    fn pod(cpu: &str) -> PodSpec {
        PodSpec {
            containers: vec![Container {
                name: "c".into(),
                resources: Some(ResourceRequirements {
                    requests: Some([("cpu".to_owned(), Quantity(cpu.to_owned()))].into()),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn ledger(nodes: &[(&str, NodeView)]) -> Ledger {
        let mut l = Ledger::default();
        for (name, view) in nodes {
            l.set_node(name, view.clone());
        }
        l
    }

    fn key(name: &str) -> Key {
        Key::new("default", name)
    }

    #[test]
    fn pods_spread_over_the_least_allocated_nodes() {
        let mut l = ledger(&[("a", node(4000, 110)), ("b", node(4000, 110))]);
        let mut seen = Vec::new();
        for i in 0..4 {
            let (n, t) = l.place(&pod("1"), None).expect("fits");
            l.confirm(t, &key(&format!("p{i}")));
            seen.push(n);
        }
        seen.sort();
        assert_eq!(seen, ["a", "a", "b", "b"]);
    }

    #[test]
    fn unschedulable_messages_read_like_kube_schedulers() {
        struct Case {
            name: &'static str,
            nodes: Vec<(&'static str, NodeView)>,
            want: &'static str,
        }
        let cordoned = NodeView {
            unschedulable: true,
            ..node(8000, 110)
        };
        let not_ready = NodeView {
            ready: false,
            ..node(8000, 110)
        };
        let full = node(8000, 0);
        let cases = [
            Case {
                name: "no nodes at all",
                nodes: vec![],
                want: "no nodes available to schedule pods",
            },
            Case {
                name: "every node too small",
                nodes: vec![
                    ("a", node(1000, 110)),
                    ("b", node(1000, 110)),
                    ("c", node(500, 110)),
                ],
                want: "0/3 nodes are available: 3 Insufficient cpu.",
            },
            Case {
                name: "mixed reasons, sorted",
                nodes: vec![
                    ("a", node(1000, 110)),
                    ("b", cordoned),
                    ("c", not_ready),
                    ("d", full),
                ],
                want: "0/4 nodes are available: 1 Insufficient cpu, 1 Too many pods, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable.",
            },
        ];
        for case in cases {
            let l = ledger(&case.nodes);
            assert_eq!(
                l.evaluate(&pod("2")),
                Fit::Unschedulable(case.want.to_owned()),
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn placed_pods_take_room_until_forgotten_or_gone() {
        let mut l = ledger(&[("a", node(2000, 110))]);
        let (_, t1) = l.place(&pod("1500m"), None).expect("first fits");
        assert!(
            l.place(&pod("1"), None).is_none(),
            "assumed pod holds the room"
        );
        l.forget(t1);
        let (_, t2) = l.place(&pod("1500m"), None).expect("room again");
        l.confirm(t2, &key("p"));
        // The watch reports the same pod: counted once.
        assert!(!l.set_pod(&key("p"), Some(("a".into(), pod_demand(&pod("1500m"))))));
        assert!(l.place(&pod("1"), None).is_none());
        assert!(l.set_pod(&key("p"), None), "deleting frees room");
        assert!(l.place(&pod("1"), None).is_some());
    }

    #[test]
    fn reserved_room_goes_to_the_owners_next_pod() {
        let mut l = ledger(&[("a", node(1000, 110)), ("b", node(8000, 110))]);
        l.reserve("rs-uid", "a", &pod("1"));
        assert_eq!(
            l.evaluate(&pod("1")),
            Fit::Node("b".into()),
            "others do not get it"
        );
        let (n, _) = l.place(&pod("1"), Some("rs-uid")).expect("fits");
        assert_eq!(n, "a", "the owner's pod takes the reserved node");
    }

    #[test]
    fn node_affinity_and_selectors_are_honoured() {
        let mut labelled = node(8000, 110);
        labelled.labels.insert("disk".into(), "ssd".into());
        let l = ledger(&[("a", node(8000, 110)), ("b", labelled)]);
        let mut spec = pod("1");
        spec.node_selector = Some([("disk".to_owned(), "ssd".to_owned())].into());
        assert_eq!(l.evaluate(&spec), Fit::Node("b".into()));

        let mut spec = pod("1");
        spec.affinity = Some(Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_fields: Some(vec![NodeSelectorRequirement {
                            key: "metadata.name".into(),
                            operator: "In".into(),
                            values: Some(vec!["a".into()]),
                        }]),
                        ..Default::default()
                    }],
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
        assert_eq!(l.evaluate(&spec), Fit::Node("a".into()));
    }

    #[test]
    fn tolerations_match_taints() {
        let taint = Taint {
            key: "dedicated".into(),
            value: Some("gpu".into()),
            effect: "NoSchedule".into(),
            ..Default::default()
        };
        let tol =
            |key: Option<&str>, op: &str, value: Option<&str>, effect: Option<&str>| Toleration {
                key: key.map(str::to_owned),
                operator: Some(op.to_owned()),
                value: value.map(str::to_owned),
                effect: effect.map(str::to_owned),
                ..Default::default()
            };
        let cases = [
            (tol(Some("dedicated"), "Equal", Some("gpu"), None), true),
            (tol(Some("dedicated"), "Equal", Some("cpu"), None), false),
            (
                tol(Some("dedicated"), "Exists", None, Some("NoSchedule")),
                true,
            ),
            (
                tol(Some("dedicated"), "Exists", None, Some("NoExecute")),
                false,
            ),
            (tol(None, "Exists", None, None), true),
            (tol(Some("other"), "Exists", None, None), false),
        ];
        for (t, want) in cases {
            assert_eq!(tolerated(std::slice::from_ref(&t), &taint), want, "{t:?}");
        }
    }
}
