//! Cluster affinity matching (Karmada's `util.ClusterMatches`), compiled once per scheduling
//! attempt and able to say *why* a cluster does not match.
//!
//! A cluster matches a `ClusterAffinity` when it is not in `exclude` and satisfies, all at once:
//! the `labelSelector` on its labels (an invalid selector matches nothing); the `fieldSelector`,
//! where `zone` requirements are matched against the cluster's `zones` list (In: any overlap;
//! NotIn: no overlap; Exists/DoesNotExist: list non-empty/empty) and every other key against the
//! label-like set `{provider, region}` (unset fields absent), with the API server's label-selector
//! semantics; and `clusterNames` (empty means any). Label matching is
//! [`flotilla_machinery::selector`], so it agrees with the API server.

use flotilla_machinery::selector::{LabelSelector as Compiled, Operator, Requirement};

use crate::types::{ClusterAffinity, ClusterAffinityTerm, ClusterInput, SelectorRequirement};

/// A compiled `ClusterAffinity`.
#[derive(Clone, Debug)]
pub struct AffinityMatcher {
    exclude: Vec<String>,
    label: Option<Result<Compiled, String>>,
    /// The label mismatch explanation, built once: it does not depend on the cluster.
    label_mismatch: String,
    zones: Vec<SelectorRequirement>,
    fields: Option<Result<Compiled, String>>,
    names: Vec<String>,
}

fn compile_label_selector(selector: &crate::types::LabelSelector) -> Result<Compiled, String> {
    let json = serde_json::to_value(selector).map_err(|e| e.to_string())?;
    Compiled::from_label_selector_json(&json).map_err(|e| e.to_string())
}

fn compile_field_requirements(reqs: &[&SelectorRequirement]) -> Result<Compiled, String> {
    let mut out = Vec::with_capacity(reqs.len());
    for r in reqs {
        let op = match r.operator.as_str() {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            "Gt" => Operator::GreaterThan,
            "Lt" => Operator::LessThan,
            other => return Err(format!("{other:?} is not a valid node selector operator")),
        };
        out.push(Requirement::new(&r.key, op, r.values.clone()).map_err(|e| e.to_string())?);
    }
    Ok(Compiled::from_requirements(out))
}

fn zones_match(req: &SelectorRequirement, zones: &[String]) -> bool {
    let listed = |z: &String| req.values.contains(z);
    match req.operator.as_str() {
        "In" => zones.iter().any(listed),
        "NotIn" => !zones.iter().any(listed),
        "Exists" => !zones.is_empty(),
        "DoesNotExist" => zones.is_empty(),
        _ => false,
    }
}

fn describe_requirement(r: &SelectorRequirement) -> String {
    if r.values.is_empty() {
        format!("{} {}", r.key, r.operator)
    } else {
        format!("{} {} ({})", r.key, r.operator, r.values.join(","))
    }
}

impl AffinityMatcher {
    /// Compiles an affinity. Never fails: an invalid selector is kept as an error and matches
    /// nothing, as in Karmada, and the error becomes the explanation.
    pub fn compile(affinity: &ClusterAffinity) -> AffinityMatcher {
        let (zones, others): (Vec<&SelectorRequirement>, Vec<&SelectorRequirement>) = affinity
            .field_selector
            .as_ref()
            .map(|f| f.match_expressions.iter().partition(|r| r.key == "zone"))
            .unwrap_or_default();
        let label = affinity.label_selector.as_ref().map(compile_label_selector);
        let label_mismatch = match &label {
            Some(Ok(sel)) => format!("cluster labels do not match labelSelector {sel}"),
            Some(Err(e)) => format!("invalid labelSelector matches nothing: {e}"),
            None => String::new(),
        };
        AffinityMatcher {
            exclude: affinity.exclude.clone(),
            label,
            label_mismatch,
            zones: zones.into_iter().cloned().collect(),
            fields: (!others.is_empty()).then(|| compile_field_requirements(&others)),
            names: affinity.cluster_names.clone(),
        }
    }

    /// Whether `cluster` matches.
    pub fn matches(&self, cluster: &ClusterInput) -> bool {
        self.check(cluster).is_ok()
    }

    /// `Ok` if `cluster` matches, else why not.
    pub fn check(&self, cluster: &ClusterInput) -> Result<(), String> {
        if self.exclude.contains(&cluster.name) {
            return Err("cluster is listed in exclude".to_string());
        }
        match &self.label {
            None => {}
            Some(Err(_)) => return Err(self.label_mismatch.clone()),
            Some(Ok(sel)) if !sel.matches_btree(&cluster.labels) => {
                return Err(self.label_mismatch.clone());
            }
            Some(Ok(_)) => {}
        }
        for req in &self.zones {
            if !zones_match(req, &cluster.zones) {
                return Err(format!(
                    "cluster zones [{}] do not satisfy fieldSelector {}",
                    cluster.zones.join(","),
                    describe_requirement(req)
                ));
            }
        }
        match &self.fields {
            None => {}
            Some(Err(e)) => return Err(format!("invalid fieldSelector matches nothing: {e}")),
            Some(Ok(sel)) => {
                let get = |key: &str| -> Option<&str> {
                    match key {
                        "provider" if !cluster.provider.is_empty() => Some(&cluster.provider),
                        "region" if !cluster.region.is_empty() => Some(&cluster.region),
                        _ => None,
                    }
                };
                if !sel.matches_with(get) {
                    return Err(format!(
                        "cluster fields (provider={:?}, region={:?}) do not satisfy fieldSelector {sel}",
                        cluster.provider, cluster.region
                    ));
                }
            }
        }
        if !self.names.is_empty() && !self.names.contains(&cluster.name) {
            return Err("cluster is not in clusterNames".to_string());
        }
        Ok(())
    }
}

/// The affinity a scheduling attempt enforces: `clusterAffinity`, or one `clusterAffinities` term
/// with its overflow tiers.
#[derive(Clone, Debug)]
pub struct AffinityInForce {
    /// The term's `affinityName`; `None` for `clusterAffinity`.
    pub term_name: Option<String>,
    /// Tier 0 is the primary affinity, tier `i > 0` the `i`-th overflow affinity.
    pub tiers: Vec<AffinityMatcher>,
    /// The term declares `overflowAffinities` (even an empty list), which switches replica
    /// assignment to fill tier by tier.
    pub overflow_declared: bool,
}

impl AffinityInForce {
    /// For `clusterAffinity`.
    pub fn single(affinity: &ClusterAffinity) -> AffinityInForce {
        AffinityInForce {
            term_name: None,
            tiers: vec![AffinityMatcher::compile(affinity)],
            overflow_declared: false,
        }
    }

    /// For one `clusterAffinities` term.
    pub fn term(term: &ClusterAffinityTerm) -> AffinityInForce {
        let mut tiers = vec![AffinityMatcher::compile(&term.affinity)];
        if let Some(overflow) = &term.overflow_affinities {
            tiers.extend(
                overflow
                    .iter()
                    .map(|o| AffinityMatcher::compile(&o.affinity)),
            );
        }
        AffinityInForce {
            term_name: Some(term.affinity_name.clone()),
            tiers,
            overflow_declared: term.overflow_affinities.is_some(),
        }
    }

    /// Karmada's `OverflowOrder`: 0 for the primary affinity, `i` for the `i`-th overflow tier
    /// that matches, 1000 if none does (sorted last). Always 0 for `clusterAffinity`.
    pub fn overflow_order(&self, cluster: &ClusterInput) -> u32 {
        if self.term_name.is_none() {
            return 0;
        }
        self.tiers
            .iter()
            .position(|t| t.matches(cluster))
            .map_or(1000, |i| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::types::{FieldSelector, LabelSelector};

    fn cluster(name: &str) -> ClusterInput {
        ClusterInput {
            name: name.into(),
            labels: BTreeMap::from([("env".to_string(), "prod".to_string())]),
            provider: "aws".into(),
            region: "us-east-1".into(),
            zones: vec!["us-east-1a".into(), "us-east-1b".into()],
            ..Default::default()
        }
    }

    fn req(key: &str, op: &str, values: &[&str]) -> SelectorRequirement {
        SelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: values.iter().map(|v| (*v).to_string()).collect(),
        }
    }

    fn fields(reqs: Vec<SelectorRequirement>) -> Option<FieldSelector> {
        Some(FieldSelector {
            match_expressions: reqs,
        })
    }

    #[test]
    fn cluster_matches_table() {
        struct Case {
            name: &'static str,
            affinity: ClusterAffinity,
            want: bool,
        }
        let labels = |k: &str, v: &str| {
            Some(LabelSelector {
                match_labels: BTreeMap::from([(k.to_string(), v.to_string())]),
                ..Default::default()
            })
        };
        let cases = [
            Case {
                name: "empty matches all",
                affinity: ClusterAffinity::default(),
                want: true,
            },
            Case {
                name: "exclude wins over names",
                affinity: ClusterAffinity {
                    cluster_names: vec!["m1".into()],
                    exclude: vec!["m1".into()],
                    ..Default::default()
                },
                want: false,
            },
            Case {
                name: "names",
                affinity: ClusterAffinity {
                    cluster_names: vec!["m2".into(), "m1".into()],
                    ..Default::default()
                },
                want: true,
            },
            Case {
                name: "names miss",
                affinity: ClusterAffinity {
                    cluster_names: vec!["m2".into()],
                    ..Default::default()
                },
                want: false,
            },
            Case {
                name: "labels",
                affinity: ClusterAffinity {
                    label_selector: labels("env", "prod"),
                    ..Default::default()
                },
                want: true,
            },
            Case {
                name: "labels miss",
                affinity: ClusterAffinity {
                    label_selector: labels("env", "dev"),
                    ..Default::default()
                },
                want: false,
            },
            Case {
                name: "empty label selector matches all",
                affinity: ClusterAffinity {
                    label_selector: Some(LabelSelector::default()),
                    ..Default::default()
                },
                want: true,
            },
            Case {
                name: "invalid label selector matches nothing",
                affinity: ClusterAffinity {
                    label_selector: Some(LabelSelector {
                        match_expressions: vec![req("env", "Bogus", &["x"])],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                want: false,
            },
            Case {
                name: "region In",
                affinity: ClusterAffinity {
                    field_selector: fields(vec![req("region", "In", &["us-east-1", "eu"])]),
                    ..Default::default()
                },
                want: true,
            },
            Case {
                name: "provider NotIn",
                affinity: ClusterAffinity {
                    field_selector: fields(vec![req("provider", "NotIn", &["aws"])]),
                    ..Default::default()
                },
                want: false,
            },
            Case {
                name: "unknown field key never In",
                affinity: ClusterAffinity {
                    field_selector: fields(vec![req("color", "In", &["red"])]),
                    ..Default::default()
                },
                want: false,
            },
            Case {
                name: "zone In any overlap",
                affinity: ClusterAffinity {
                    field_selector: fields(vec![req("zone", "In", &["us-east-1b", "x"])]),
                    ..Default::default()
                },
                want: true,
            },
            Case {
                name: "zone NotIn any overlap fails",
                affinity: ClusterAffinity {
                    field_selector: fields(vec![req("zone", "NotIn", &["us-east-1a"])]),
                    ..Default::default()
                },
                want: false,
            },
            Case {
                name: "zone DoesNotExist",
                affinity: ClusterAffinity {
                    field_selector: fields(vec![req("zone", "DoesNotExist", &[])]),
                    ..Default::default()
                },
                want: false,
            },
            Case {
                name: "unknown operator on a field",
                affinity: ClusterAffinity {
                    field_selector: fields(vec![req("region", "Near", &["x"])]),
                    ..Default::default()
                },
                want: false,
            },
            Case {
                name: "all together",
                affinity: ClusterAffinity {
                    label_selector: labels("env", "prod"),
                    field_selector: fields(vec![
                        req("zone", "Exists", &[]),
                        req("region", "In", &["us-east-1"]),
                    ]),
                    cluster_names: vec!["m1".into()],
                    exclude: vec!["m9".into()],
                },
                want: true,
            },
        ];
        for case in cases {
            let got = AffinityMatcher::compile(&case.affinity).check(&cluster("m1"));
            assert_eq!(got.is_ok(), case.want, "case {:?}: {got:?}", case.name);
        }
    }
}
