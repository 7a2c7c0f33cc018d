//! Cluster ordering and selection under spread constraints (Karmada's
//! `pkg/scheduler/core/spreadconstraint`), extended to zones and providers.
//!
//! * Feasible clusters are ordered by overflow tier ascending, score descending, available
//!   replicas descending, name ascending.
//! * No spread constraints, or the static-weight strategy (which ignores them, as in Karmada):
//!   every feasible cluster is a candidate.
//! * By cluster: `n = min(#clusters, maxGroups)`; fewer than `minGroups` clusters is an error.
//!   Duplicated (or no `replicaScheduling`) takes the first `n`. Otherwise it takes the first `n`
//!   and, while they cannot hold `spec.replicas`, walks them from the last backwards replacing
//!   each by the remaining cluster with the most room, if that has more.
//! * By region: clusters are grouped by region and each group is scored (Duplicated:
//!   `1000·#clusters that fit all replicas + their average score`; Divided: capacity towards
//!   `ceil(replicas / minGroups)` first, then average score). A depth-first search over group
//!   combinations, within the region `minGroups..=maxGroups` and holding at least the cluster
//!   `minGroups` clusters, picks the best by total score, then cluster count, preferring a
//!   shorter combination that is a prefix of a better one. The best cluster of each chosen
//!   region is taken, then the remaining clusters of those regions in order up to the cluster
//!   `maxGroups`.
//! * **Beyond Karmada**: zone and provider constraints, which Karmada accepts but ignores, select
//!   groups the same way as region. One topology level is enforced per placement: region if
//!   present (exactly Karmada's behaviour), else zone, else provider; the others are reported as
//!   not enforced. A cluster listing several zones belongs to each of them and is counted once.
//!   [`SelectOptions::strict_karmada`] turns the extension off.
//!
//! Errors say what was needed and what was there, e.g. "need at least 3 regions, only 2 have
//! clusters that fit (eu-west, us-east)".

use std::collections::BTreeMap;

use crate::types::{
    BindingInput, ClusterInput, DivisionPreference, Placement, ReplicaSchedulingType,
    SpreadConstraint, SpreadField,
};

/// A feasible cluster with what selection needs to know about it.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    /// Position of the cluster in the scheduler's snapshot.
    pub index: usize,
    /// The cluster.
    pub cluster: &'a ClusterInput,
    /// Sum of the score plugins.
    pub score: i64,
    /// Overflow tier (0 = primary affinity).
    pub overflow_order: u32,
    /// What the estimators say it can still take (Karmada's `AllocatableReplicas`).
    pub allocatable: i32,
    /// `allocatable` plus what the binding already runs there (Karmada's `AvailableReplicas`).
    pub available: i64,
}

impl Candidate<'_> {
    /// The cluster's name.
    pub fn name(&self) -> &str {
        &self.cluster.name
    }
}

/// Orders candidates: overflow tier ascending, score descending, available replicas descending,
/// name ascending.
pub fn sort_candidates(candidates: &mut [Candidate<'_>]) {
    candidates.sort_by(|a, b| {
        a.overflow_order
            .cmp(&b.overflow_order)
            .then(b.score.cmp(&a.score))
            .then(b.available.cmp(&a.available))
            .then_with(|| a.name().cmp(b.name()))
    });
}

/// Selection switches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SelectOptions {
    /// Ignore zone and provider spread constraints, exactly as Karmada does.
    pub strict_karmada: bool,
}

/// The chosen clusters and why the others were not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Positions in the sorted candidate slice, in the order replica assignment receives them.
    pub chosen: Vec<usize>,
    /// Positions that were not chosen, with the reason.
    pub not_chosen: Vec<(usize, String)>,
    /// A remark for the outcome message (e.g. constraints that were not enforced).
    pub note: Option<String>,
}

/// Why no selection satisfies the spread constraints.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// Fewer feasible clusters than the cluster constraint's `minGroups`.
    #[error("the cluster spread constraint needs at least {need} clusters, only {have} fit")]
    TooFewClusters {
        /// `minGroups`.
        need: usize,
        /// Feasible clusters.
        have: usize,
    },
    /// The cluster constraint's `maxGroups` is 0 (unset), so nothing can be selected.
    #[error("the cluster spread constraint has maxGroups 0 (unset), so no cluster can be selected")]
    MaxGroupsZero,
    /// No `count` clusters can hold the replicas.
    #[error(
        "no {count} clusters can hold {replicas} replicas: the best {count} the cluster spread constraint allows can take {best}"
    )]
    NotEnoughCapacity {
        /// Clusters to select.
        count: usize,
        /// `spec.replicas`.
        replicas: i32,
        /// What the best selection can take.
        best: i64,
    },
    /// Fewer groups than the group constraint's `minGroups`.
    #[error("need at least {need} {}, only {have} have clusters that fit ({groups})", .field.plural())]
    TooFewGroups {
        /// The grouping field.
        field: SpreadField,
        /// `minGroups`.
        need: usize,
        /// Groups with feasible clusters.
        have: usize,
        /// Their names.
        groups: String,
    },
    /// No combination of groups satisfies both constraints.
    #[error(
        "no combination of {min} to {max} {} holds the {clusters} clusters the cluster spread constraint requires (clusters per {field}: {groups})",
        .field.plural()
    )]
    NoGroupCombination {
        /// The grouping field.
        field: SpreadField,
        /// Group `minGroups`.
        min: usize,
        /// Group `maxGroups`.
        max: usize,
        /// Cluster `minGroups`.
        clusters: usize,
        /// `name=count` per group.
        groups: String,
    },
    /// The combination search would be too large.
    #[error(
        "too many {} combinations to evaluate (more than {limit} search steps); lower maxGroups of the {field} spread constraint",
        .field.plural()
    )]
    TooManyCombinations {
        /// The grouping field.
        field: SpreadField,
        /// The step budget.
        limit: u64,
    },
    /// Only constraints the scheduler cannot act on.
    #[error("{0}")]
    Unsupported(String),
}

/// How the binding divides replicas, as far as selection cares.
fn is_duplicated(placement: &Placement) -> bool {
    match &placement.replica_scheduling {
        None => true,
        Some(rs) => rs.replica_scheduling_type == Some(ReplicaSchedulingType::Duplicated),
    }
}

/// Karmada's `shouldIgnoreSpreadConstraint`: Divided + Weighted with static weights (or no
/// weight preference at all).
pub fn ignores_spread_constraints(placement: &Placement) -> bool {
    let Some(rs) = &placement.replica_scheduling else {
        return false;
    };
    let divided = rs.replica_scheduling_type != Some(ReplicaSchedulingType::Duplicated);
    let weighted = rs.replica_division_preference != Some(DivisionPreference::Aggregated);
    divided
        && weighted
        && match &rs.weight_preference {
            None => true,
            Some(wp) => !wp.static_weight_list.is_empty() && wp.dynamic_weight.is_none(),
        }
}

/// A spread constraint with the webhook defaults applied (`minGroups` 0 → 1) and negative
/// counts read as 0.
#[derive(Clone, Copy, Debug)]
struct Limits {
    min: usize,
    max: usize,
}

fn limits(c: &SpreadConstraint) -> Limits {
    Limits {
        min: usize::try_from(c.min_groups.max(1)).unwrap_or(1),
        max: usize::try_from(c.max_groups.max(0)).unwrap_or(0),
    }
}

/// Selects the clusters replicas will be assigned to. `sorted` must be ordered by
/// [`sort_candidates`].
pub fn select(
    placement: &Placement,
    binding: &BindingInput,
    sorted: &[Candidate<'_>],
    options: SelectOptions,
) -> Result<Selection, SelectError> {
    let all = || Selection {
        chosen: (0..sorted.len()).collect(),
        ..Default::default()
    };
    if placement.spread_constraints.is_empty() {
        return Ok(all());
    }
    if ignores_spread_constraints(placement) {
        let mut s = all();
        s.note = Some("spread constraints do not apply to static weights (as in Karmada)".into());
        return Ok(s);
    }
    let need_replicas = (!is_duplicated(placement)).then_some(binding.replicas);

    // One constraint per field; a repeated field keeps the last one, as Go's map does.
    let mut by_field: BTreeMap<SpreadField, Limits> = BTreeMap::new();
    for c in &placement.spread_constraints {
        // Neither a field nor a label means `cluster` (the webhook default).
        let field = match (c.spread_by_field, c.spread_by_label.as_deref()) {
            (Some(field), _) => Some(field),
            (None, None | Some("")) => Some(SpreadField::Cluster),
            (None, Some(_)) => None,
        };
        if let Some(field) = field {
            by_field.insert(field, limits(c));
        }
    }
    let cluster = by_field.get(&SpreadField::Cluster).copied();
    let enforced = if by_field.contains_key(&SpreadField::Region) {
        Some(SpreadField::Region)
    } else if options.strict_karmada {
        None
    } else if by_field.contains_key(&SpreadField::Zone) {
        Some(SpreadField::Zone)
    } else if by_field.contains_key(&SpreadField::Provider) {
        Some(SpreadField::Provider)
    } else {
        None
    };
    let skipped: Vec<&str> = [
        SpreadField::Region,
        SpreadField::Zone,
        SpreadField::Provider,
    ]
    .into_iter()
    .filter(|f| by_field.contains_key(f) && Some(*f) != enforced)
    .map(SpreadField::as_str)
    .collect();
    let note = (!skipped.is_empty()).then(|| {
        let by = enforced.map_or("cluster", SpreadField::as_str);
        format!(
            "spread by {} not enforced: one topology level is enforced per placement (here {by})",
            skipped.join(" and ")
        )
    });

    let mut selection = match (enforced, cluster) {
        (Some(field), _) => {
            select_by_groups(field, by_field[&field], cluster, placement, binding, sorted)?
        }
        (None, Some(limits)) => select_by_cluster(limits, sorted, need_replicas)?,
        (None, None) => {
            return Err(SelectError::Unsupported(if options.strict_karmada {
                "only cluster and region spread constraints are supported".into()
            } else {
                "spread constraints need a cluster, region, zone or provider field; spreadByLabel is not supported".into()
            }));
        }
    };
    if selection.note.is_none() {
        selection.note = note;
    }
    Ok(selection)
}

fn select_by_cluster(
    limits: Limits,
    sorted: &[Candidate<'_>],
    need_replicas: Option<i32>,
) -> Result<Selection, SelectError> {
    let total = sorted.len();
    if total < limits.min {
        return Err(SelectError::TooFewClusters {
            need: limits.min,
            have: total,
        });
    }
    let count = total.min(limits.max);
    if count == 0 {
        return Err(SelectError::MaxGroupsZero);
    }
    let mut order: Vec<usize> = (0..total).collect();
    let mut replaced: Vec<usize> = Vec::new();
    if let Some(replicas) = need_replicas {
        // Positions [0, count) are the selection, [count, total) the rest; swapping between
        // them mirrors Karmada's two sub-slices of one array.
        let mut sum: i64 = order[..count].iter().map(|&i| sorted[i].available).sum();
        let need = i64::from(replicas);
        let mut update = count;
        while sum < need && update > 0 {
            update -= 1;
            let current = sorted[order[update]].available;
            let mut best: Option<usize> = None;
            let mut best_available = current;
            for (j, &pos) in order.iter().enumerate().skip(count) {
                if sorted[pos].available > best_available {
                    best = Some(j);
                    best_available = sorted[pos].available;
                }
            }
            if let Some(j) = best {
                sum += best_available - current;
                replaced.push(order[update]);
                order.swap(update, j);
            }
        }
        if sum < need {
            return Err(SelectError::NotEnoughCapacity {
                count,
                replicas,
                best: sum,
            });
        }
    }
    let chosen = order[..count].to_vec();
    let not_chosen = order[count..]
        .iter()
        .map(|&pos| {
            let why = if replaced.contains(&pos) {
                format!(
                    "swapped out for a cluster with more room so that the {count} selected clusters can hold the replicas"
                )
            } else {
                format!(
                    "not among the {count} best clusters the cluster spread constraint allows (maxGroups {})",
                    limits.max
                )
            };
            (pos, why)
        })
        .collect();
    Ok(Selection {
        chosen,
        not_chosen,
        note: None,
    })
}

/// The topology groups a cluster belongs to for `field`.
fn groups_of(cluster: &ClusterInput, field: SpreadField) -> Vec<&str> {
    fn one(s: &str) -> Vec<&str> {
        if s.is_empty() { vec![] } else { vec![s] }
    }
    match field {
        SpreadField::Region => one(&cluster.region),
        SpreadField::Provider => one(&cluster.provider),
        SpreadField::Zone => {
            let mut zones: Vec<&str> = cluster
                .zones
                .iter()
                .map(String::as_str)
                .filter(|z| !z.is_empty())
                .collect();
            zones.sort_unstable();
            zones.dedup();
            zones
        }
        SpreadField::Cluster => vec![],
    }
}

struct Group<'a> {
    name: &'a str,
    /// Positions in the sorted candidates, ascending.
    members: Vec<usize>,
    score: i64,
}

/// Karmada's `calcGroupScore` / `calcGroupScoreForDuplicate`.
fn group_score(
    members: &[usize],
    sorted: &[Candidate<'_>],
    replicas: i32,
    duplicated: bool,
    group_min: usize,
    cluster_min: usize,
) -> i64 {
    const WEIGHT_UNIT: i64 = 1000;
    if duplicated {
        let target = i64::from(replicas);
        let valid: Vec<&Candidate<'_>> = members
            .iter()
            .map(|&i| &sorted[i])
            .filter(|c| c.available >= target)
            .collect();
        if valid.is_empty() {
            return 0;
        }
        let n = valid.len() as i64;
        let sum: i64 = valid.iter().map(|c| c.score).sum();
        return n * WEIGHT_UNIT + sum / n;
    }
    // ceil(replicas / minGroups) as Go computes it, in float64.
    let target = (f64::from(replicas) / group_min as f64).ceil() as i64;
    let cluster_min = cluster_min.max(group_min) as i64;
    let (mut sum_available, mut sum_score, mut taken) = (0i64, 0i64, 0i64);
    for &i in members {
        sum_available = sum_available.saturating_add(sorted[i].available);
        sum_score += sorted[i].score;
        taken += 1;
        if taken >= cluster_min && sum_available >= target {
            break;
        }
    }
    if sum_available < target {
        sum_available.saturating_mul(WEIGHT_UNIT) + sum_score / members.len().max(1) as i64
    } else {
        target.saturating_mul(WEIGHT_UNIT) + sum_score / taken.max(1)
    }
}

/// The most steps the group-combination search may take before giving up.
const SEARCH_BUDGET: u64 = 1_000_000;

/// One feasible combination found by the search.
struct Path {
    id: u64,
    /// Group indices, sorted by score descending then name.
    groups: Vec<usize>,
    weight: i64,
    value: usize,
}

struct Search<'g, 'a> {
    groups: &'g [Group<'a>],
    min: usize,
    max: usize,
    target: usize,
    path: Vec<usize>,
    /// How many groups on the path contain each candidate, and how many distinct candidates the
    /// path covers (for disjoint groups that is Karmada's Σ group sizes).
    counts: Vec<u32>,
    distinct: usize,
    found: Vec<Path>,
    steps: u64,
}

struct OverBudget;

impl Search<'_, '_> {
    fn push(&mut self, g: usize) {
        self.path.push(g);
        for &m in &self.groups[g].members {
            if self.counts[m] == 0 {
                self.distinct += 1;
            }
            self.counts[m] += 1;
        }
    }

    fn pop(&mut self) {
        if let Some(g) = self.path.pop() {
            for &m in &self.groups[g].members {
                self.counts[m] -= 1;
                if self.counts[m] == 0 {
                    self.distinct -= 1;
                }
            }
        }
    }

    /// Karmada's `findFeasiblePaths` depth-first search, step for step.
    fn dfs(&mut self, begin: usize) -> Result<(), OverBudget> {
        self.steps += 1;
        if self.steps > SEARCH_BUDGET {
            return Err(OverBudget);
        }
        let len = self.path.len();
        if self.distinct >= self.target && len >= self.min && len <= self.max {
            let mut groups = self.path.clone();
            groups.sort_by(|&a, &b| {
                let (a, b) = (&self.groups[a], &self.groups[b]);
                b.score.cmp(&a.score).then_with(|| a.name.cmp(b.name))
            });
            let weight = groups.iter().map(|&g| self.groups[g].score).sum();
            self.found.push(Path {
                id: self.found.len() as u64 + 1,
                groups,
                weight,
                value: self.distinct,
            });
            return Ok(());
        }
        if len >= self.max {
            return Ok(());
        }
        for i in begin..self.groups.len() {
            self.push(i);
            self.dfs(i + 1)?;
            // When every group is needed there is only one combination to try.
            if self.groups.len() == self.min {
                return Ok(());
            }
            self.pop();
        }
        Ok(())
    }
}

/// Karmada's `prioritizePaths`: best by weight, then value, then discovery order; a better
/// path's prefix that is itself feasible wins over it.
fn prioritize(mut paths: Vec<Path>, groups: &[Group<'_>]) -> Option<Path> {
    paths.sort_by(|a, b| {
        b.weight
            .cmp(&a.weight)
            .then(b.value.cmp(&a.value))
            .then(a.id.cmp(&b.id))
    });
    let mut iter = paths.into_iter();
    let mut best = iter.next()?;
    for p in iter {
        let is_prefix = p.groups.len() < best.groups.len()
            && p.groups
                .iter()
                .zip(&best.groups)
                .all(|(&a, &b)| groups[a].name == groups[b].name);
        if is_prefix {
            best = p;
        }
    }
    Some(best)
}

fn select_by_groups(
    field: SpreadField,
    group_limits: Limits,
    cluster: Option<Limits>,
    placement: &Placement,
    binding: &BindingInput,
    sorted: &[Candidate<'_>],
) -> Result<Selection, SelectError> {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (pos, c) in sorted.iter().enumerate() {
        for g in groups_of(c.cluster, field) {
            by_name.entry(g).or_default().push(pos);
        }
    }
    if by_name.len() < group_limits.min {
        return Err(SelectError::TooFewGroups {
            field,
            need: group_limits.min,
            have: by_name.len(),
            groups: by_name.keys().copied().collect::<Vec<_>>().join(", "),
        });
    }
    // Without a cluster constraint Karmada reads min and max as 0.
    let (cluster_min, cluster_max) = cluster.map_or((0, 0), |l| (l.min, l.max));
    let duplicated = is_duplicated(placement);
    let mut groups: Vec<Group<'_>> = by_name
        .into_iter()
        .map(|(name, members)| Group {
            score: group_score(
                &members,
                sorted,
                binding.replicas,
                duplicated,
                group_limits.min,
                cluster_min,
            ),
            name,
            members,
        })
        .collect();
    // The search visits groups by size ascending, score descending, name.
    groups.sort_by(|a, b| {
        a.members
            .len()
            .cmp(&b.members.len())
            .then(b.score.cmp(&a.score))
            .then_with(|| a.name.cmp(b.name))
    });

    let mut search = Search {
        groups: &groups,
        min: group_limits.min,
        max: group_limits.max,
        target: cluster_min,
        path: Vec::new(),
        counts: vec![0; sorted.len()],
        distinct: 0,
        found: Vec::new(),
        steps: 0,
    };
    if search.dfs(0).is_err() {
        return Err(SelectError::TooManyCombinations {
            field,
            limit: SEARCH_BUDGET,
        });
    }
    let found = std::mem::take(&mut search.found);
    let Some(best) = prioritize(found, &groups) else {
        return Err(SelectError::NoGroupCombination {
            field,
            min: group_limits.min,
            max: group_limits.max,
            clusters: cluster_min,
            groups: groups
                .iter()
                .map(|g| format!("{}={}", g.name, g.members.len()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    };

    // The best cluster of each chosen group first, then the rest of those groups by order.
    let mut taken = vec![false; sorted.len()];
    let mut chosen: Vec<usize> = Vec::new();
    let mut rest: Vec<usize> = Vec::new();
    for &g in &best.groups {
        let members: Vec<usize> = groups[g]
            .members
            .iter()
            .copied()
            .filter(|&m| !taken[m])
            .collect();
        if let Some((&first, others)) = members.split_first() {
            taken[first] = true;
            chosen.push(first);
            rest.extend_from_slice(others);
        }
    }
    rest.sort_unstable();
    rest.dedup();
    rest.retain(|&m| !taken[m]);
    let total = chosen.len() + rest.len();
    let extra = total.min(cluster_max).saturating_sub(chosen.len());
    for &m in rest.iter().take(extra) {
        taken[m] = true;
        chosen.push(m);
    }

    let chosen_names: Vec<&str> = best.groups.iter().map(|&g| groups[g].name).collect();
    let not_chosen = (0..sorted.len())
        .filter(|&pos| !taken[pos])
        .map(|pos| {
            let mine = groups_of(sorted[pos].cluster, field);
            let why = if mine.iter().any(|g| chosen_names.contains(g)) {
                format!(
                    "its {field} was chosen, but the cluster spread constraint allows {cluster_max} clusters"
                )
            } else {
                format!(
                    "its {field} {} was not chosen (chose {})",
                    mine.join(","),
                    chosen_names.join(", ")
                )
            };
            (pos, why)
        })
        .collect();
    Ok(Selection {
        chosen,
        not_chosen,
        note: Some(format!(
            "spread by {field}: chose {} {} ({})",
            chosen_names.len(),
            field.plural(),
            chosen_names.join(", ")
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ReplicaScheduling, WeightPreference};

    struct Fixture {
        clusters: Vec<ClusterInput>,
    }

    fn fixture(spec: &[(&str, &str, &str)]) -> Fixture {
        Fixture {
            clusters: spec
                .iter()
                .map(|(name, region, zone)| ClusterInput {
                    name: (*name).into(),
                    region: (*region).into(),
                    provider: if region.starts_with("us") {
                        "aws".into()
                    } else {
                        "gcp".into()
                    },
                    zones: if zone.is_empty() {
                        vec![]
                    } else {
                        vec![(*zone).into()]
                    },
                    ..Default::default()
                })
                .collect(),
        }
    }

    impl Fixture {
        fn candidates(&self, scores: &[(i64, i64)]) -> Vec<Candidate<'_>> {
            let mut c: Vec<Candidate<'_>> = self
                .clusters
                .iter()
                .zip(scores)
                .enumerate()
                .map(|(index, (cluster, &(score, available)))| Candidate {
                    index,
                    cluster,
                    score,
                    overflow_order: 0,
                    allocatable: available as i32,
                    available,
                })
                .collect();
            sort_candidates(&mut c);
            c
        }
    }

    fn names(sorted: &[Candidate<'_>], sel: &Selection) -> Vec<String> {
        sel.chosen
            .iter()
            .map(|&i| sorted[i].name().to_string())
            .collect()
    }

    fn divided() -> Option<ReplicaScheduling> {
        Some(ReplicaScheduling {
            replica_scheduling_type: Some(ReplicaSchedulingType::Divided),
            replica_division_preference: Some(DivisionPreference::Aggregated),
            weight_preference: None,
        })
    }

    fn constraint(field: SpreadField, min: i32, max: i32) -> SpreadConstraint {
        SpreadConstraint {
            spread_by_field: Some(field),
            spread_by_label: None,
            min_groups: min,
            max_groups: max,
        }
    }

    #[test]
    fn ordering() {
        let f = fixture(&[("b", "", ""), ("a", "", ""), ("c", "", ""), ("d", "", "")]);
        let sorted = f.candidates(&[(0, 5), (0, 5), (100, 1), (0, 9)]);
        let order: Vec<&str> = sorted.iter().map(Candidate::name).collect();
        assert_eq!(order, ["c", "d", "a", "b"]);
    }

    #[test]
    fn by_cluster_swaps_in_capacity() {
        // Karmada's example: need 2 clusters for 80 replicas; member1 (60, 40), member2 (50, 30),
        // member3 (40, 60) → member1 and member3.
        let f = fixture(&[
            ("member1", "", ""),
            ("member2", "", ""),
            ("member3", "", ""),
        ]);
        let sorted = f.candidates(&[(60, 40), (50, 30), (40, 60)]);
        let placement = Placement {
            spread_constraints: vec![constraint(SpreadField::Cluster, 1, 2)],
            replica_scheduling: divided(),
            ..Default::default()
        };
        let binding = BindingInput {
            replicas: 80,
            ..Default::default()
        };
        let sel = select(&placement, &binding, &sorted, SelectOptions::default()).unwrap();
        assert_eq!(names(&sorted, &sel), ["member1", "member3"]);
        let binding = BindingInput {
            replicas: 200,
            ..Default::default()
        };
        let err = select(&placement, &binding, &sorted, SelectOptions::default()).unwrap_err();
        assert!(
            matches!(err, SelectError::NotEnoughCapacity { best: 100, .. }),
            "{err}"
        );
    }

    #[test]
    fn by_cluster_errors() {
        let f = fixture(&[("m1", "", ""), ("m2", "", "")]);
        let sorted = f.candidates(&[(0, 1), (0, 1)]);
        let binding = BindingInput::default();
        let placement = |min, max| Placement {
            spread_constraints: vec![constraint(SpreadField::Cluster, min, max)],
            ..Default::default()
        };
        let err = select(
            &placement(3, 5),
            &binding,
            &sorted,
            SelectOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the cluster spread constraint needs at least 3 clusters, only 2 fit"
        );
        let err = select(
            &placement(1, 0),
            &binding,
            &sorted,
            SelectOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err, SelectError::MaxGroupsZero);
        let sel = select(
            &placement(1, 1),
            &binding,
            &sorted,
            SelectOptions::default(),
        )
        .unwrap();
        assert_eq!(names(&sorted, &sel), ["m1"]);
    }

    #[test]
    fn static_weights_ignore_spread() {
        let f = fixture(&[("m1", "", ""), ("m2", "", "")]);
        let sorted = f.candidates(&[(0, 1), (0, 1)]);
        let placement = Placement {
            spread_constraints: vec![constraint(SpreadField::Cluster, 1, 1)],
            replica_scheduling: Some(ReplicaScheduling {
                replica_scheduling_type: Some(ReplicaSchedulingType::Divided),
                replica_division_preference: Some(DivisionPreference::Weighted),
                weight_preference: Some(WeightPreference::default()),
            }),
            ..Default::default()
        };
        // An empty static list with no dynamic weight does NOT ignore spread constraints.
        let sel = select(
            &placement,
            &BindingInput::default(),
            &sorted,
            SelectOptions::default(),
        )
        .unwrap();
        assert_eq!(sel.chosen.len(), 1);
        let mut p = placement.clone();
        p.replica_scheduling.as_mut().unwrap().weight_preference = None;
        let sel = select(
            &p,
            &BindingInput::default(),
            &sorted,
            SelectOptions::default(),
        )
        .unwrap();
        assert_eq!(sel.chosen.len(), 2);
    }

    #[test]
    fn by_region() {
        let f = fixture(&[
            ("a1", "us-east", "z1"),
            ("a2", "us-east", "z2"),
            ("b1", "eu-west", "z3"),
            ("c1", "ap-south", "z4"),
        ]);
        let sorted = f.candidates(&[(0, 10), (0, 8), (0, 20), (0, 1)]);
        let binding = BindingInput {
            replicas: 20,
            ..Default::default()
        };
        let placement = |rmin, rmax, cmin, cmax| Placement {
            spread_constraints: vec![
                constraint(SpreadField::Region, rmin, rmax),
                constraint(SpreadField::Cluster, cmin, cmax),
            ],
            replica_scheduling: divided(),
            ..Default::default()
        };
        // Two regions, three clusters: eu-west (20) and us-east (18) beat ap-south (1).
        let sel = select(
            &placement(2, 2, 3, 3),
            &binding,
            &sorted,
            SelectOptions::default(),
        )
        .unwrap();
        let mut got = names(&sorted, &sel);
        got.sort();
        assert_eq!(got, ["a1", "a2", "b1"]);

        let err = select(
            &placement(4, 4, 1, 4),
            &binding,
            &sorted,
            SelectOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "need at least 4 regions, only 3 have clusters that fit (ap-south, eu-west, us-east)"
        );
        let err = select(
            &placement(1, 1, 3, 3),
            &binding,
            &sorted,
            SelectOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, SelectError::NoGroupCombination { .. }),
            "{err}"
        );
    }

    #[test]
    fn by_zone_and_provider_beyond_karmada() {
        let f = fixture(&[
            ("a1", "us-east", "z1"),
            ("a2", "us-east", "z1"),
            ("b1", "eu-west", "z2"),
        ]);
        let sorted = f.candidates(&[(0, 10), (0, 10), (0, 10)]);
        let binding = BindingInput {
            replicas: 10,
            ..Default::default()
        };
        let zone = Placement {
            spread_constraints: vec![
                constraint(SpreadField::Zone, 2, 2),
                constraint(SpreadField::Cluster, 2, 2),
            ],
            replica_scheduling: divided(),
            ..Default::default()
        };
        let sel = select(&zone, &binding, &sorted, SelectOptions::default()).unwrap();
        let mut got = names(&sorted, &sel);
        got.sort();
        assert_eq!(got, ["a1", "b1"], "one cluster from each zone");
        // Strict Karmada ignores the zone constraint and takes the first two clusters.
        let strict = SelectOptions {
            strict_karmada: true,
        };
        let sel = select(&zone, &binding, &sorted, strict).unwrap();
        assert_eq!(names(&sorted, &sel), ["a1", "a2"]);

        let provider = Placement {
            spread_constraints: vec![
                constraint(SpreadField::Provider, 3, 3),
                constraint(SpreadField::Cluster, 1, 3),
            ],
            replica_scheduling: divided(),
            ..Default::default()
        };
        let err = select(&provider, &binding, &sorted, SelectOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "need at least 3 providers, only 2 have clusters that fit (aws, gcp)"
        );
    }

    #[test]
    fn search_budget_bounds_huge_searches() {
        let spec: Vec<(String, String)> = (0..60)
            .map(|i| (format!("c{i}"), format!("r{i:02}")))
            .collect();
        let clusters: Vec<ClusterInput> = spec
            .iter()
            .map(|(n, r)| ClusterInput {
                name: n.clone(),
                region: r.clone(),
                ..Default::default()
            })
            .collect();
        let mut sorted: Vec<Candidate<'_>> = clusters
            .iter()
            .enumerate()
            .map(|(index, cluster)| Candidate {
                index,
                cluster,
                score: 0,
                overflow_order: 0,
                allocatable: 1,
                available: 1,
            })
            .collect();
        sort_candidates(&mut sorted);
        // 30 of 60 regions holding 59 clusters: impossible, and C(60,30) paths to rule out.
        let placement = Placement {
            spread_constraints: vec![
                constraint(SpreadField::Region, 30, 30),
                constraint(SpreadField::Cluster, 59, 60),
            ],
            replica_scheduling: divided(),
            ..Default::default()
        };
        let err = select(
            &placement,
            &BindingInput {
                replicas: 1,
                ..Default::default()
            },
            &sorted,
            SelectOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, SelectError::TooManyCombinations { .. }),
            "{err}"
        );
    }
}
