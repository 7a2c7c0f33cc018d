//! Replica division: Webster/Sainte-Laguë apportionment and the Duplicated, StaticWeight,
//! DynamicWeight and Aggregated strategies, matching Karmada v1.16+ replica for replica
//! (`pkg/util/helper/{webstermethod,binding}.go`, `pkg/scheduler/core/{assignment,division_algorithm}.go`).
//!
//! * [`webster`] gives each of `n` seats to the party with the highest `votes / (2·seats + 1)`
//!   (as `f64`, like Go). Equal priorities go to the party with fewer seats, then by name —
//!   ascending when `fnv32a(uid)` is even or the UID is empty, descending when odd — so that ties
//!   are broken differently, but stably, per workload.
//! * StaticWeight is memoryless: the previous placement is not consulted. Webster is
//!   house-monotone, so growing the total never takes a replica away from a cluster.
//! * DynamicWeight and Aggregated are incremental ("Steady"): a scale-up divides only the new
//!   replicas, by what each cluster can still take, and adds them to the current placement; a
//!   scale-down re-divides the new total in proportion to the current placement; an unchanged
//!   total keeps it. "Fresh" (a manual reschedule) divides everything from scratch. Aggregated
//!   moves clusters already in use to the front and keeps only the shortest prefix that can hold
//!   the replicas.
//! * The candidate order handed to the dynamic strategies matters for Aggregated; the weights are
//!   ordered with a port of Go's `sort.Sort` (module `gosort`) so equal weights end up exactly
//!   where they end up in Karmada.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;

use crate::gosort;
use crate::types::TargetCluster;

/// FNV-1a, 32 bit (Go's `hash/fnv.New32a`).
pub fn fnv32a(data: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for &b in data {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// Whether equal Webster priorities go to the lexicographically *larger* name for this UID
/// (Karmada's `tieBreakerByUID`): true when the UID is non-empty and its FNV-1a hash is odd.
pub fn tie_break_descending(uid: &str) -> bool {
    !uid.is_empty() && fnv32a(uid.as_bytes()) & 1 == 1
}

/// Webster with `n` new seats at or above this size (and many seats per party) jumps ahead by
/// a priority threshold instead of handing out seats one by one; see [`fast_forward`].
const FAST_PATH_MIN_SEATS: i64 = 4096;
/// The highest seat index a bid can have: a party never holds more than `i32::MAX` seats.
const MAX_BID: i32 = i32::MAX - 1;

#[derive(Clone, Copy, Debug)]
struct Party {
    votes: i64,
    seats: i32,
}

/// `votes / (2*seats + 1)` exactly as Go computes it, `int32` wrap-around included.
fn priority(votes: i64, seats: i32) -> f64 {
    votes as f64 / f64::from(seats.wrapping_mul(2).wrapping_add(1))
}

/// A party's claim on the next seat; the heap's maximum is the winner.
struct Bid<'a> {
    priority: f64,
    seats: i32,
    /// The party's position in the slice being allocated.
    index: usize,
    /// Its name, compared only when priority and seats tie.
    name: &'a str,
    descending: bool,
}

impl Ord for Bid<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Priorities are never NaN (the denominator is odd, hence non-zero); -0.0 == 0.0 as in Go.
        match self.priority.partial_cmp(&other.priority) {
            Some(Ordering::Equal) | None => other.seats.cmp(&self.seats).then_with(|| {
                if self.descending {
                    self.name.cmp(other.name)
                } else {
                    other.name.cmp(self.name)
                }
            }),
            Some(ord) => ord,
        }
    }
}

impl PartialOrd for Bid<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Bid<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Bid<'_> {}

/// Hands out `n` seats to `parties`, whose names are `names` (same order, unique).
fn allocate(parties: &mut [Party], names: &[&str], n: i32, descending: bool, fast_path_min: i64) {
    if n <= 0 || parties.is_empty() {
        return;
    }
    let mut remaining = i64::from(n);
    // Below a few seats per party the plain loop is as fast; `fast_path_min == 0` forces the
    // fast path (tests compare both).
    if fast_path_min == 0 || (remaining >= fast_path_min && remaining >= 64 * parties.len() as i64)
    {
        remaining = fast_forward(parties, remaining);
    }
    if remaining <= 0 {
        return;
    }
    let mut heap: BinaryHeap<Bid<'_>> = parties
        .iter()
        .zip(names)
        .enumerate()
        .map(|(index, (p, name))| Bid {
            priority: priority(p.votes, p.seats),
            seats: p.seats,
            index,
            name,
            descending,
        })
        .collect();
    for _ in 0..remaining {
        let Some(mut best) = heap.pop() else { return };
        best.seats = best.seats.wrapping_add(1);
        best.priority = priority(parties[best.index].votes, best.seats);
        parties[best.index].seats = best.seats;
        heap.push(best);
    }
}

/// Maps an `f64` to an integer with the same order (for bisection over all floats).
fn float_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    if bits < 0 { bits ^ i64::MAX } else { bits }
}

fn key_float(k: i64) -> f64 {
    f64::from_bits((if k < 0 { k ^ i64::MAX } else { k }) as u64)
}

/// Bids of `p` strictly above priority `t`: the seats `k` in `p.seats..=MAX_BID` with
/// `priority(votes, k) > t`.
fn bids_above(p: &Party, t: f64) -> i64 {
    if p.seats > MAX_BID || priority(p.votes, p.seats) <= t {
        return 0;
    }
    if priority(p.votes, MAX_BID) > t {
        return i64::from(MAX_BID - p.seats) + 1;
    }
    // priority(lo) > t >= priority(hi).
    let (mut lo, mut hi) = (p.seats, MAX_BID);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if priority(p.votes, mid) > t {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    i64::from(lo - p.seats) + 1
}

/// Hands out, at once, every seat whose bid is above a priority threshold, as long as that is
/// no more than `remaining` seats, then fills zero-vote parties evenly when they are what is
/// left; returns the seats still to hand out one by one (a handful).
///
/// Why this is exact: with non-negative votes and seats, a party's successive bids never
/// increase in priority — including past 2^30 seats, where Go's `int32` denominator wraps
/// negative — and its tie-break gets worse with every seat. So the one-by-one loop hands out
/// seats in the global order of all bids, and all bids above a threshold form a prefix of that
/// order that may be granted first. The predicate uses the same `f64` expression as the loop.
/// Zero-vote parties bid exactly 0 forever; once they are the best bids left, the loop gives
/// them seats in turn (fewest seats first), which is filling them up to a common level.
fn fast_forward(parties: &mut [Party], mut remaining: i64) -> i64 {
    if parties.iter().any(|p| p.votes < 0 || p.seats < 0) {
        return remaining;
    }
    let granted =
        |parties: &[Party], t: f64| -> i64 { parties.iter().map(|p| bids_above(p, t)).sum() };
    let head = |p: &Party| {
        if p.seats > MAX_BID {
            f64::NEG_INFINITY
        } else {
            priority(p.votes, p.seats)
        }
    };

    // Invariant: granted(hi) <= remaining < granted(lo). Start from the Sainte-Laguë divisor
    // estimate, which usually lands within a few seats.
    let mut hi = parties.iter().map(head).fold(f64::NEG_INFINITY, f64::max);
    if hi == f64::NEG_INFINITY {
        return remaining;
    }
    let mut lo = -f64::MAX;
    if granted(parties, lo) <= remaining {
        hi = lo;
    } else {
        let total_votes: f64 = parties.iter().map(|p| p.votes as f64).sum();
        let total_seats =
            remaining as f64 + parties.iter().map(|p| f64::from(p.seats)).sum::<f64>();
        let guess =
            total_votes / (2.0 * total_seats) * (1.0 + 4.0 * parties.len() as f64 / total_seats);
        if guess > lo && guess < hi {
            if granted(parties, guess) <= remaining {
                hi = guess;
            } else {
                lo = guess;
            }
        }
        let (mut lo_key, mut hi_key) = (float_key(lo), float_key(hi));
        // Keys span the whole i64 range, so their arithmetic is done in i128.
        while i128::from(hi_key) - i128::from(lo_key) > 1
            && remaining - granted(parties, key_float(hi_key)) > parties.len() as i64
        {
            let mid = ((i128::from(lo_key) + i128::from(hi_key)) / 2) as i64;
            if granted(parties, key_float(mid)) <= remaining {
                hi_key = mid;
            } else {
                lo_key = mid;
            }
        }
        hi = key_float(hi_key);
    }
    for p in parties.iter_mut() {
        let c = bids_above(p, hi);
        // c <= MAX_BID - seats + 1, so seats stays within i32.
        p.seats += c as i32;
        remaining -= c;
    }

    // Zero-vote parties tie at priority 0 for ever; if they are the best bids left, level them.
    let best = parties.iter().map(head).fold(f64::NEG_INFINITY, f64::max);
    if remaining > parties.len() as i64 && best == 0.0 {
        let zero: Vec<usize> = (0..parties.len())
            .filter(|&i| parties[i].votes == 0 && parties[i].seats <= MAX_BID)
            .collect();
        let cost = |level: i64| -> i64 {
            zero.iter()
                .map(|&i| (level - i64::from(parties[i].seats)).max(0))
                .sum()
        };
        // The highest level every zero-vote party can be raised to within `remaining`.
        let (mut lo, mut hi) = (0i64, i64::from(i32::MAX) + 1);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if cost(mid) <= remaining {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        for &i in &zero {
            let raise = (lo - i64::from(parties[i].seats)).max(0);
            parties[i].seats += raise as i32;
            remaining -= raise;
        }
    }
    remaining
}

/// Webster/Sainte-Laguë apportionment (Karmada's `AllocateWebsterSeats` with `tieBreakerByUID`).
///
/// Parties are the union of `votes` and `init` (a party only in `init` has 0 votes; a name listed
/// twice keeps its last entry). `n` seats are added to the initial ones. The result lists every
/// party, 0-seat ones included, in ascending name order; it is empty only when there are no
/// parties.
pub fn webster<A: AsRef<str>, B: AsRef<str>>(
    n: i32,
    votes: &[(A, i64)],
    init: &[(B, i32)],
    uid: &str,
) -> Vec<(String, i32)> {
    webster_with(n, votes, init, uid, FAST_PATH_MIN_SEATS)
}

fn webster_with<A: AsRef<str>, B: AsRef<str>>(
    n: i32,
    votes: &[(A, i64)],
    init: &[(B, i32)],
    uid: &str,
    fast_path_min: i64,
) -> Vec<(String, i32)> {
    let mut by_name: BTreeMap<&str, Party> = BTreeMap::new();
    for (name, seats) in init {
        by_name.insert(
            name.as_ref(),
            Party {
                votes: 0,
                seats: *seats,
            },
        );
    }
    for (name, v) in votes {
        by_name
            .entry(name.as_ref())
            .and_modify(|p| p.votes = *v)
            .or_insert(Party {
                votes: *v,
                seats: 0,
            });
    }
    let names: Vec<&str> = by_name.keys().copied().collect();
    let mut parties: Vec<Party> = by_name.into_values().collect();
    allocate(
        &mut parties,
        &names,
        n,
        tie_break_descending(uid),
        fast_path_min,
    );
    names
        .into_iter()
        .zip(parties)
        .map(|(name, p)| (name.to_string(), p.seats))
        .collect()
}

/// Karmada's `Dispenser.AllocateByWeight`: `n` replicas divided by `weights` with Webster on top
/// of `init`. Returns `init` unchanged when there is nothing to do (`n == 0` with an initial
/// result, or all weights zero).
pub fn dispense<A: AsRef<str>>(
    n: i32,
    init: &[TargetCluster],
    weights: &[(A, i64)],
    uid: &str,
) -> Vec<TargetCluster> {
    if n == 0 && !init.is_empty() {
        return init.to_vec();
    }
    let sum: i128 = weights.iter().map(|(_, w)| i128::from(*w)).sum();
    if sum == 0 {
        return init.to_vec();
    }
    let init: Vec<(&str, i32)> = init.iter().map(|t| (t.name.as_str(), t.replicas)).collect();
    webster(n, weights, &init, uid)
        .into_iter()
        .map(|(name, replicas)| TargetCluster { name, replicas })
        .collect()
}

/// The result of one division, with what a user needs to understand it. Clusters are referred
/// to by their position in the candidate list the strategy was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// Replicas per candidate, in candidate order (0 for candidates that got none).
    pub replicas: Vec<i32>,
    /// The weights the division used, as `(candidate, weight)` in the order it considered
    /// them. A candidate missing here was left out before dividing (no static weight, outside
    /// the Aggregated prefix, not in the previous placement on scale-down).
    pub weights: Vec<(usize, i64)>,
    /// For the dynamic strategies, which Steady/Fresh branch ran.
    pub mode: Option<DynamicMode>,
    /// One sentence on what was done.
    pub detail: String,
}

impl Assignment {
    /// The clusters that got replicas, as `spec.clusters` entries in name order; `names` are the
    /// candidates' names in candidate order.
    pub fn targets<S: AsRef<str>>(&self, names: &[S]) -> Vec<TargetCluster> {
        let mut out: Vec<TargetCluster> = self
            .replicas
            .iter()
            .zip(names)
            .filter(|(r, _)| **r > 0)
            .map(|(r, name)| TargetCluster::new(name.as_ref(), *r))
            .collect();
        out.sort();
        out
    }
}

/// Which branch of the dynamic strategies ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DynamicMode {
    /// Manual reschedule: everything divided from scratch by capacity plus current replicas.
    Fresh,
    /// Fewer replicas than placed: re-divided in proportion to the current placement.
    ScaleDown,
    /// More replicas than placed (or first schedule): only the new ones divided by capacity.
    ScaleUp,
    /// Same total: the current placement is kept.
    Unchanged,
}

impl fmt::Display for DynamicMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DynamicMode::Fresh => "fresh reschedule",
            DynamicMode::ScaleDown => "scale down",
            DynamicMode::ScaleUp => "scale up",
            DynamicMode::Unchanged => "unchanged",
        })
    }
}

/// Division failures.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DivisionError {
    /// The candidates cannot hold the replicas to place (Karmada's `UnschedulableError`
    /// "Clusters available replicas N are not enough to schedule.").
    #[error(
        "{strategy} {mode}: the selected clusters can take {available} more replicas but {target} are needed"
    )]
    NotEnoughCapacity {
        /// `DynamicWeight` or `Aggregated`.
        strategy: &'static str,
        /// The branch that ran.
        mode: DynamicMode,
        /// Σ of the weights (what the clusters can take).
        available: i64,
        /// Replicas to place in this step.
        target: i64,
    },
}

/// At most this many `name:weight` pairs are spelled out in a detail sentence.
const LIST_LIMIT: usize = 8;

/// `m1:3, m2:2, … and 5 more`.
pub(crate) fn format_pairs<S: AsRef<str>, V: fmt::Display>(pairs: &[(S, V)]) -> String {
    let mut out = String::new();
    for (i, (name, v)) in pairs.iter().take(LIST_LIMIT).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name.as_ref());
        out.push(':');
        out.push_str(&v.to_string());
    }
    if pairs.len() > LIST_LIMIT {
        out.push_str(&format!(" and {} more", pairs.len() - LIST_LIMIT));
    }
    out
}

fn format_weights(weights: &[(usize, i64)], names: &[&str]) -> String {
    let shown: Vec<(&str, i64)> = weights
        .iter()
        .take(LIST_LIMIT)
        .map(|&(i, w)| (names[i], w))
        .collect();
    let mut out = format_pairs(&shown);
    if weights.len() > LIST_LIMIT {
        out.push_str(&format!(" and {} more", weights.len() - LIST_LIMIT));
    }
    out
}

/// `dispense(n, [], weights)` over candidate indices: Webster among the weighted candidates
/// (names unique), nothing when every weight is 0. Adds the seats into `replicas`.
fn divide(n: i32, weights: &[(usize, i64)], names: &[&str], uid: &str, replicas: &mut [i32]) {
    if weights.iter().map(|(_, w)| i128::from(*w)).sum::<i128>() == 0 {
        return;
    }
    let mut parties: Vec<Party> = weights
        .iter()
        .map(|&(_, votes)| Party { votes, seats: 0 })
        .collect();
    let party_names: Vec<&str> = weights.iter().map(|&(i, _)| names[i]).collect();
    allocate(
        &mut parties,
        &party_names,
        n,
        tie_break_descending(uid),
        FAST_PATH_MIN_SEATS,
    );
    for (&(i, _), p) in weights.iter().zip(&parties) {
        replicas[i] = replicas[i].wrapping_add(p.seats);
    }
}

/// Duplicated: every candidate gets all `replicas`.
pub fn assign_duplicated(replicas: i32, candidates: usize) -> Assignment {
    Assignment {
        replicas: vec![replicas; candidates],
        weights: Vec::new(),
        mode: None,
        detail: format!("Duplicated: every selected cluster runs all {replicas} replicas"),
    }
}

/// StaticWeight over `candidates` given as `(name, weight)`, the weight being the largest weight
/// of the `staticWeightList` rules matching the cluster (0 if none). Clusters with weight ≤ 0
/// are left out; if that leaves none, every candidate weighs 1.
pub fn assign_static(replicas: i32, candidates: &[(&str, i64)], uid: &str) -> Assignment {
    let names: Vec<&str> = candidates.iter().map(|(n, _)| *n).collect();
    let mut weights: Vec<(usize, i64)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, (_, w))| *w > 0)
        .map(|(i, (_, w))| (i, *w))
        .collect();
    let defaulted = weights.is_empty();
    if defaulted {
        weights = (0..candidates.len()).map(|i| (i, 1)).collect();
    }
    let mut out = vec![0; candidates.len()];
    divide(replicas, &weights, &names, uid, &mut out);
    let detail = if defaulted {
        format!(
            "StaticWeight: no weight rule gives a selected cluster a positive weight, so {replicas} replicas were divided equally"
        )
    } else {
        format!(
            "StaticWeight: {replicas} replicas divided by weight ({})",
            format_weights(&weights, &names)
        )
    };
    Assignment {
        replicas: out,
        weights,
        mode: None,
        detail,
    }
}

/// A candidate of the dynamic strategies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DynamicCandidate<'a> {
    /// Cluster name.
    pub name: &'a str,
    /// Replicas the cluster can still take (the estimator minimum, Karmada's
    /// `AllocatableReplicas`).
    pub allocatable: i32,
}

/// Weights descending, with Go's `sort.Sort` so equal weights keep Karmada's order.
fn sort_desc(list: &mut [(usize, i64)]) {
    gosort::sort(list, |a, b| a.1 > b.1);
}

/// DynamicWeight (`aggregated == false`) or Aggregated over `candidates` (in selection order,
/// names unique), given the binding's `previous` placement.
pub fn assign_dynamic(
    aggregated: bool,
    replicas: i32,
    candidates: &[DynamicCandidate<'_>],
    previous: &[TargetCluster],
    uid: &str,
    fresh: bool,
) -> Result<Assignment, DivisionError> {
    let strategy = if aggregated {
        "Aggregated"
    } else {
        "DynamicWeight"
    };
    let names: Vec<&str> = candidates.iter().map(|c| c.name).collect();
    // The previous placement restricted to current candidates, as (candidate, replicas).
    // Replicas on clusters that are no longer candidates are forgotten and placed again.
    let mut scheduled: Vec<(usize, i32)> = previous
        .iter()
        .filter_map(|p| {
            names
                .iter()
                .position(|n| *n == p.name)
                .map(|i| (i, p.replicas))
        })
        .collect();
    let assigned: i64 = scheduled.iter().map(|&(_, r)| i64::from(r)).sum();
    let wanted = i64::from(replicas);
    let allocatable = || -> Vec<(usize, i64)> {
        candidates
            .iter()
            .enumerate()
            .map(|(i, c)| (i, i64::from(c.allocatable)))
            .collect()
    };

    let (mode, mut weights, target) = if fresh {
        let mut w = allocatable();
        for &(i, r) in &scheduled {
            w[i].1 += i64::from(r);
        }
        sort_desc(&mut w);
        scheduled.clear();
        (DynamicMode::Fresh, w, wanted)
    } else if assigned > wanted {
        let mut w: Vec<(usize, i64)> = scheduled.iter().map(|&(i, r)| (i, i64::from(r))).collect();
        sort_desc(&mut w);
        scheduled.clear();
        (DynamicMode::ScaleDown, w, wanted)
    } else if assigned < wanted {
        let mut w = allocatable();
        sort_desc(&mut w);
        (DynamicMode::ScaleUp, w, wanted - assigned)
    } else {
        // Go keeps the previous entries as they are (a name listed twice keeps its last value
        // when merged; here the placement is simply kept).
        let mut out = vec![0; candidates.len()];
        for &(i, r) in &scheduled {
            out[i] = r;
        }
        return Ok(Assignment {
            replicas: out,
            weights: Vec::new(),
            mode: Some(DynamicMode::Unchanged),
            detail: format!(
                "{strategy}: the selected clusters already run all {replicas} replicas; placement kept"
            ),
        });
    };

    let available: i64 = weights.iter().map(|(_, w)| *w).sum();
    if available < target {
        return Err(DivisionError::NotEnoughCapacity {
            strategy,
            mode,
            available,
            target,
        });
    }

    let mut prefix_note = String::new();
    if aggregated {
        // Clusters already in use go first (stable), then the shortest prefix that can hold the
        // target is kept.
        let mut in_use = vec![false; candidates.len()];
        for &(i, r) in &scheduled {
            if r > 0 {
                in_use[i] = true;
            }
        }
        if in_use.iter().any(|&u| u) {
            let (mut front, back): (Vec<_>, Vec<_>) =
                weights.into_iter().partition(|&(i, _)| in_use[i]);
            front.extend(back);
            weights = front;
        }
        let mut sum = 0i64;
        if let Some(end) = weights.iter().position(|(_, w)| {
            sum += *w;
            sum >= target
        }) {
            weights.truncate(end + 1);
        }
        prefix_note = format!(
            "; kept the first {} cluster(s) in the aggregated order",
            weights.len()
        );
    }

    // What stays in place (scale-up only; the other branches cleared it), then the division on
    // top. A name listed twice in the previous placement counts once, with its last value, as
    // in Go's merge.
    let mut out = vec![0; candidates.len()];
    for &(i, r) in &scheduled {
        out[i] = r;
    }
    // `target` fits in i32: it is `replicas` or `replicas - assigned` with 0 <= assigned < replicas.
    divide(
        i32::try_from(target).unwrap_or(i32::MAX),
        &weights,
        &names,
        uid,
        &mut out,
    );

    let list = format_weights(&weights, &names);
    let detail = match mode {
        DynamicMode::Fresh => format!(
            "{strategy} fresh reschedule: all {replicas} replicas divided by capacity including current replicas ({list}){prefix_note}"
        ),
        DynamicMode::ScaleDown => format!(
            "{strategy} scale down {assigned}→{replicas}: divided in proportion to the current placement ({list}){prefix_note}"
        ),
        DynamicMode::ScaleUp if assigned == 0 => format!(
            "{strategy}: {replicas} replicas divided by available capacity ({list}){prefix_note}"
        ),
        _ => format!(
            "{strategy} scale up {assigned}→{replicas}: the {target} new replicas divided by available capacity ({list}){prefix_note} and added to the current placement"
        ),
    };
    Ok(Assignment {
        replicas: out,
        weights,
        mode: Some(mode),
        detail,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const EVEN_UID: &str = "4858ca61-3ff8-4095-8267-f3d059d8074c";
    const ODD_UID: &str = "d43fdeeb-d750-4e2b-bee3-64eb94534f4c";

    fn tc(list: &[(&str, i32)]) -> Vec<TargetCluster> {
        list.iter()
            .map(|(n, r)| TargetCluster::new(*n, *r))
            .collect()
    }

    #[test]
    fn fnv_parity_of_karmada_test_uids() {
        assert!(!tie_break_descending(""));
        assert!(!tie_break_descending(EVEN_UID));
        assert!(tie_break_descending(ODD_UID));
        // Reference values of FNV-1a 32.
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
    }

    #[test]
    fn webster_table() {
        struct Case {
            name: &'static str,
            n: i32,
            votes: &'static [(&'static str, i64)],
            init: &'static [(&'static str, i32)],
            uid: &'static str,
            want: &'static [(&'static str, i32)],
        }
        let classic: &[(&str, i64)] = &[
            ("PartyA", 100_000),
            ("PartyB", 80_000),
            ("PartyC", 30_000),
            ("PartyD", 20_000),
        ];
        let cases = [
            Case {
                name: "wikipedia example, 8 seats",
                n: 8,
                votes: classic,
                init: &[],
                uid: "",
                want: &[("PartyA", 3), ("PartyB", 3), ("PartyC", 1), ("PartyD", 1)],
            },
            Case {
                name: "wikipedia example, 5 seats",
                n: 5,
                votes: classic,
                init: &[],
                uid: "",
                want: &[("PartyA", 2), ("PartyB", 2), ("PartyC", 1), ("PartyD", 0)],
            },
            Case {
                name: "godoc example",
                n: 4,
                votes: &[("Alpha", 1200), ("Beta", 900), ("Gamma", 400)],
                init: &[],
                uid: "",
                want: &[("Alpha", 2), ("Beta", 1), ("Gamma", 1)],
            },
            Case {
                name: "no parties",
                n: 1,
                votes: &[],
                init: &[],
                uid: "",
                want: &[],
            },
            Case {
                name: "zero seats lists every party",
                n: 0,
                votes: &[("PartyA", 100), ("PartyB", 200)],
                init: &[],
                uid: "",
                want: &[("PartyA", 0), ("PartyB", 0)],
            },
            Case {
                name: "tie goes to fewer seats",
                n: 1,
                votes: &[("PartyA", 3), ("PartyB", 1)],
                init: &[("PartyA", 1), ("PartyB", 0)],
                uid: "",
                want: &[("PartyA", 1), ("PartyB", 1)],
            },
            Case {
                name: "tie by name ascending",
                n: 1,
                votes: &[("PartyA", 1), ("PartyB", 1)],
                init: &[],
                uid: "",
                want: &[("PartyA", 1), ("PartyB", 0)],
            },
            Case {
                name: "tie by name descending with an odd uid",
                n: 1,
                votes: &[("PartyA", 1), ("PartyB", 1)],
                init: &[],
                uid: ODD_UID,
                want: &[("PartyA", 0), ("PartyB", 1)],
            },
            Case {
                name: "new parties join, old party has no votes",
                n: 2,
                votes: &[("NewParty1", 1), ("NewParty2", 1)],
                init: &[("OldParty", 0)],
                uid: "",
                want: &[("NewParty1", 1), ("NewParty2", 1), ("OldParty", 0)],
            },
            Case {
                name: "weight 0 only wins when everything is 0",
                n: 3,
                votes: &[("a", 0), ("b", 5)],
                init: &[],
                uid: "",
                want: &[("a", 0), ("b", 3)],
            },
        ];
        for case in cases {
            let got = webster(case.n, case.votes, case.init, case.uid);
            let want: Vec<(String, i32)> = case
                .want
                .iter()
                .map(|(n, s)| ((*n).to_string(), *s))
                .collect();
            assert_eq!(got, want, "case {:?}", case.name);
        }
    }

    #[test]
    fn dispense_table() {
        struct Case {
            name: &'static str,
            n: i32,
            init: &'static [(&'static str, i32)],
            weights: &'static [(&'static str, i64)],
            uid: &'static str,
            want: &'static [(&'static str, i32)],
        }
        let cases = [
            Case {
                name: "scale up 6 on 1:2:3",
                n: 6,
                init: &[("A", 1), ("B", 2), ("C", 3)],
                weights: &[("A", 1), ("B", 2), ("C", 3)],
                uid: "",
                want: &[("A", 2), ("B", 4), ("C", 6)],
            },
            Case {
                name: "scale up 3 on 1:2:3",
                n: 3,
                init: &[("A", 1), ("B", 2), ("C", 3)],
                weights: &[("A", 1), ("B", 2), ("C", 3)],
                uid: "",
                want: &[("A", 2), ("B", 3), ("C", 4)],
            },
            Case {
                name: "scale up 2 on 1:2:3",
                n: 2,
                init: &[("A", 1), ("B", 2), ("C", 3)],
                weights: &[("A", 1), ("B", 2), ("C", 3)],
                uid: "",
                want: &[("A", 1), ("B", 3), ("C", 4)],
            },
            Case {
                name: "HA 2:1, 1 replica",
                n: 1,
                init: &[],
                weights: &[("A", 2), ("B", 1)],
                uid: "",
                want: &[("A", 1), ("B", 0)],
            },
            Case {
                name: "HA 2:1, 2 replicas (issue #6424: was 2:0)",
                n: 2,
                init: &[],
                weights: &[("A", 2), ("B", 1)],
                uid: "",
                want: &[("A", 1), ("B", 1)],
            },
            Case {
                name: "HA 2:1, 3 replicas",
                n: 3,
                init: &[],
                weights: &[("A", 2), ("B", 1)],
                uid: "",
                want: &[("A", 2), ("B", 1)],
            },
            Case {
                name: "170:110:60, 5 replicas",
                n: 5,
                init: &[],
                weights: &[("A", 170), ("B", 110), ("C", 60)],
                uid: "",
                want: &[("A", 2), ("B", 2), ("C", 1)],
            },
            Case {
                name: "170:110:60, 6 replicas",
                n: 6,
                init: &[],
                weights: &[("A", 170), ("B", 110), ("C", 60)],
                uid: "",
                want: &[("A", 3), ("B", 2), ("C", 1)],
            },
            Case {
                name: "1:1, 5 replicas, odd uid prefers the larger name",
                n: 5,
                init: &[],
                weights: &[("A", 1), ("B", 1)],
                uid: ODD_UID,
                want: &[("A", 2), ("B", 3)],
            },
            Case {
                name: "1:1, 5 replicas, even uid prefers the smaller name",
                n: 5,
                init: &[],
                weights: &[("A", 1), ("B", 1)],
                uid: EVEN_UID,
                want: &[("A", 3), ("B", 2)],
            },
            Case {
                name: "all weights zero keeps init",
                n: 5,
                init: &[("A", 1)],
                weights: &[("A", 0), ("B", 0)],
                uid: "",
                want: &[("A", 1)],
            },
            Case {
                name: "nothing to add keeps init",
                n: 0,
                init: &[("B", 2)],
                weights: &[("A", 1)],
                uid: "",
                want: &[("B", 2)],
            },
        ];
        for case in cases {
            let init = tc(case.init);
            let got = dispense(case.n, &init, case.weights, case.uid);
            assert_eq!(got, tc(case.want), "case {:?}", case.name);
        }
    }

    #[test]
    fn static_weight_table() {
        struct Case {
            name: &'static str,
            replicas: i32,
            weights: &'static [(&'static str, i64)],
            uid: &'static str,
            want: &'static [(&'static str, i32)],
        }
        let cases = [
            Case {
                name: "12 at 3:2:1",
                replicas: 12,
                weights: &[("m1", 3), ("m2", 2), ("m3", 1)],
                uid: "",
                want: &[("m1", 6), ("m2", 4), ("m3", 2)],
            },
            Case {
                name: "13 at 3:2:1",
                replicas: 13,
                weights: &[("m1", 3), ("m2", 2), ("m3", 1)],
                uid: "",
                want: &[("m1", 7), ("m2", 4), ("m3", 2)],
            },
            Case {
                name: "14 at 3:2:1 (old remainder method gave 8,4,2)",
                replicas: 14,
                weights: &[("m1", 3), ("m2", 2), ("m3", 1)],
                uid: "",
                want: &[("m1", 7), ("m2", 5), ("m3", 2)],
            },
            Case {
                name: "12 with no matching rule: equal weights",
                replicas: 12,
                weights: &[("m1", 0), ("m2", 0), ("m3", 0)],
                uid: "",
                want: &[("m1", 4), ("m2", 4), ("m3", 4)],
            },
            Case {
                name: "cluster without weight is ignored",
                replicas: 2,
                weights: &[("m1", 1), ("m2", 0)],
                uid: "",
                want: &[("m1", 2)],
            },
            Case {
                name: "0 replicas gives nothing",
                replicas: 0,
                weights: &[("m1", 1), ("m2", 1)],
                uid: "",
                want: &[],
            },
            Case {
                name: "2 replicas at 2:1",
                replicas: 2,
                weights: &[("m1", 2), ("m2", 1)],
                uid: "",
                want: &[("m1", 1), ("m2", 1)],
            },
            Case {
                name: "7 at 2:1:1:1",
                replicas: 7,
                weights: &[("a", 2), ("b", 1), ("c", 1), ("d", 1)],
                uid: "",
                want: &[("a", 3), ("b", 2), ("c", 1), ("d", 1)],
            },
            Case {
                name: "8 at 2:1:1:1 (no cluster loses a replica)",
                replicas: 8,
                weights: &[("a", 2), ("b", 1), ("c", 1), ("d", 1)],
                uid: "",
                want: &[("a", 3), ("b", 2), ("c", 2), ("d", 1)],
            },
            Case {
                name: "8 at 2:1:1:1 with an odd uid",
                replicas: 8,
                weights: &[("a", 2), ("b", 1), ("c", 1), ("d", 1)],
                uid: ODD_UID,
                want: &[("a", 3), ("b", 1), ("c", 2), ("d", 2)],
            },
        ];
        for case in cases {
            let got = assign_static(case.replicas, case.weights, case.uid);
            let names: Vec<&str> = case.weights.iter().map(|(n, _)| *n).collect();
            assert_eq!(got.targets(&names), tc(case.want), "case {:?}", case.name);
        }
    }

    #[test]
    fn dynamic_table() {
        struct Case {
            name: &'static str,
            aggregated: bool,
            replicas: i32,
            candidates: &'static [(&'static str, i32)],
            previous: &'static [(&'static str, i32)],
            fresh: bool,
            want: Option<&'static [(&'static str, i32)]>,
        }
        let cases = [
            // Karmada pkg/scheduler/core/assignment_test.go
            Case {
                name: "12 -> 6, dynamic 1:1:1",
                aggregated: false,
                replicas: 6,
                candidates: &[("m1", 1), ("m2", 1), ("m3", 1)],
                previous: &[("m1", 2), ("m2", 4), ("m3", 6)],
                fresh: false,
                want: Some(&[("m1", 1), ("m2", 2), ("m3", 3)]),
            },
            Case {
                name: "12 -> 24, dynamic 10:10:10",
                aggregated: false,
                replicas: 24,
                candidates: &[("m1", 10), ("m2", 10), ("m3", 10)],
                previous: &[("m1", 2), ("m2", 4), ("m3", 6)],
                fresh: false,
                want: Some(&[("m1", 6), ("m2", 8), ("m3", 10)]),
            },
            Case {
                name: "12 -> 24, dynamic 1:1:1 is not enough",
                aggregated: false,
                replicas: 24,
                candidates: &[("m1", 1), ("m2", 1), ("m3", 1)],
                previous: &[("m1", 2), ("m2", 4), ("m3", 6)],
                fresh: false,
                want: None,
            },
            Case {
                name: "12 -> 6, aggregated 1:1:1",
                aggregated: true,
                replicas: 6,
                candidates: &[("m1", 1), ("m2", 1), ("m3", 1)],
                previous: &[("m1", 4), ("m2", 8)],
                fresh: false,
                want: Some(&[("m2", 6)]),
            },
            Case {
                name: "12 -> 8, aggregated 100:100",
                aggregated: true,
                replicas: 8,
                candidates: &[("m1", 100), ("m2", 100)],
                previous: &[("m1", 4), ("m2", 8)],
                fresh: false,
                want: Some(&[("m2", 8)]),
            },
            Case {
                name: "12 -> 24, aggregated 4:6:8",
                aggregated: true,
                replicas: 24,
                candidates: &[("m1", 4), ("m2", 6), ("m3", 8)],
                previous: &[("m1", 4), ("m2", 8)],
                fresh: false,
                want: Some(&[("m1", 7), ("m2", 12), ("m3", 5)]),
            },
            Case {
                name: "12 -> 24, aggregated 6:6:20",
                aggregated: true,
                replicas: 24,
                candidates: &[("m1", 6), ("m2", 6), ("m3", 20)],
                previous: &[("m1", 4), ("m2", 8)],
                fresh: false,
                want: Some(&[("m1", 10), ("m2", 14)]),
            },
            Case {
                name: "12 -> 24, aggregated 1:1:1 is not enough",
                aggregated: true,
                replicas: 24,
                candidates: &[("m1", 1), ("m2", 1), ("m3", 1)],
                previous: &[("m1", 4), ("m2", 8)],
                fresh: false,
                want: None,
            },
            Case {
                name: "12 -> 24, aggregated 4:8:12, m2 gone and m4 new",
                aggregated: true,
                replicas: 24,
                candidates: &[("m1", 4), ("m3", 8), ("m4", 12)],
                previous: &[("m1", 4), ("m2", 8)],
                fresh: false,
                want: Some(&[("m1", 7), ("m3", 7), ("m4", 10)]),
            },
            Case {
                name: "first schedule 12, dynamic 6:8:10",
                aggregated: false,
                replicas: 12,
                candidates: &[("m1", 6), ("m2", 8), ("m3", 10)],
                previous: &[],
                fresh: false,
                want: Some(&[("m1", 3), ("m2", 4), ("m3", 5)]),
            },
            Case {
                name: "first schedule 12, dynamic 8:8:10",
                aggregated: false,
                replicas: 12,
                candidates: &[("m1", 8), ("m2", 8), ("m3", 10)],
                previous: &[],
                fresh: false,
                want: Some(&[("m1", 4), ("m2", 4), ("m3", 4)]),
            },
            Case {
                name: "first schedule 12, dynamic 3:3:3 is not enough",
                aggregated: false,
                replicas: 12,
                candidates: &[("m1", 3), ("m2", 3), ("m3", 3)],
                previous: &[],
                fresh: false,
                want: None,
            },
            Case {
                name: "first schedule 12, aggregated 6:8:10",
                aggregated: true,
                replicas: 12,
                candidates: &[("m1", 6), ("m2", 8), ("m3", 10)],
                previous: &[],
                fresh: false,
                want: Some(&[("m2", 5), ("m3", 7)]),
            },
            Case {
                name: "first schedule 12, aggregated 12:8:10",
                aggregated: true,
                replicas: 12,
                candidates: &[("m1", 12), ("m2", 8), ("m3", 10)],
                previous: &[],
                fresh: false,
                want: Some(&[("m1", 12)]),
            },
            Case {
                name: "scale up 12 with m3 gone, m2 new, dynamic 3:3",
                aggregated: false,
                replicas: 12,
                candidates: &[("m1", 3), ("m2", 3)],
                previous: &[("m1", 6), ("m3", 6)],
                fresh: false,
                want: Some(&[("m1", 9), ("m2", 3)]),
            },
            Case {
                name: "unchanged total keeps the placement",
                aggregated: false,
                replicas: 12,
                candidates: &[("m1", 0), ("m2", 0)],
                previous: &[("m1", 5), ("m2", 7)],
                fresh: false,
                want: Some(&[("m1", 5), ("m2", 7)]),
            },
            Case {
                name: "fresh: capacity plus current replicas, from scratch",
                aggregated: false,
                replicas: 12,
                candidates: &[("m1", 0), ("m2", 6)],
                previous: &[("m1", 6), ("m2", 6)],
                fresh: true,
                want: Some(&[("m1", 4), ("m2", 8)]),
            },
        ];
        for case in cases {
            let candidates: Vec<DynamicCandidate<'_>> = case
                .candidates
                .iter()
                .map(|(name, allocatable)| DynamicCandidate {
                    name,
                    allocatable: *allocatable,
                })
                .collect();
            let got = assign_dynamic(
                case.aggregated,
                case.replicas,
                &candidates,
                &tc(case.previous),
                "",
                case.fresh,
            );
            let names: Vec<&str> = case.candidates.iter().map(|(n, _)| *n).collect();
            match case.want {
                Some(want) => {
                    let got = got.unwrap_or_else(|e| panic!("case {:?}: {e}", case.name));
                    assert_eq!(got.targets(&names), tc(want), "case {:?}", case.name);
                }
                None => assert!(got.is_err(), "case {:?}: expected an error", case.name),
            }
        }
    }

    /// Aggregated keeps a prefix of Go's `sort.Sort` order, which is not stable beyond 12
    /// elements: with twelve equal candidates followed by a larger one, Go puts `c06` (not
    /// `c00`) second, so `c06` is the cluster that shares the replicas.
    #[test]
    fn aggregated_prefix_follows_go_sort_order() {
        let names: Vec<String> = (0..13).map(|i| format!("c{i:02}")).collect();
        let candidates: Vec<DynamicCandidate<'_>> = names
            .iter()
            .enumerate()
            .map(|(i, n)| DynamicCandidate {
                name: n,
                allocatable: if i == 12 { 2 } else { 1 },
            })
            .collect();
        let got = assign_dynamic(true, 3, &candidates, &[], "", false).unwrap();
        let used: Vec<&str> = got
            .weights
            .iter()
            .map(|&(i, _)| names[i].as_str())
            .collect();
        assert_eq!(used, ["c12", "c06"]);
        assert_eq!(got.targets(&names), tc(&[("c06", 1), ("c12", 2)]));
    }

    #[test]
    fn huge_replica_counts_finish_quickly_and_exactly() {
        let votes = [("a", 3i64), ("b", 2), ("c", 1)];
        let got = webster::<_, &str>(i32::MAX / 4, &votes, &[], "");
        let total: i64 = got.iter().map(|(_, s)| i64::from(*s)).sum();
        assert_eq!(total, i64::from(i32::MAX / 4));
        assert!(got[0].1 > got[1].1 && got[1].1 > got[2].1);

        // Past 2^30 seats Go's int32 denominator wraps and priorities turn negative: a party
        // with votes keeps only 2^30 seats and the rest goes to whoever bids higher — another
        // party with votes still below 2^30 seats, or a zero-vote party (bidding exactly 0).
        let both = webster::<_, &str>(i32::MAX, &[("a", 5), ("b", 3)], &[], "");
        assert_eq!(
            both,
            [("a".to_string(), 1 << 30), ("b".to_string(), (1 << 30) - 1)]
        );
        let zero = webster::<_, &str>(i32::MAX, &[("a", 5), ("z", 0)], &[], "");
        assert_eq!(
            zero,
            [("a".to_string(), 1 << 30), ("z".to_string(), (1 << 30) - 1)]
        );
        let alone = webster::<_, &str>(i32::MAX, &[("a", 1)], &[], "");
        assert_eq!(alone, [("a".to_string(), i32::MAX)]);
    }

    fn votes_strategy() -> impl Strategy<Value = Vec<(String, i64)>> {
        proptest::collection::btree_map("[a-e][0-9]", 0i64..50, 1..8)
            .prop_map(|m| m.into_iter().collect())
    }

    proptest! {
        #[test]
        fn divided_replicas_sum_to_the_total(
            replicas in 0i32..500,
            weights in votes_strategy(),
            uid in "[0-9a-f]{0,8}",
        ) {
            let w: Vec<(&str, i64)> = weights.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            let got = assign_static(replicas, &w, &uid);
            let total: i32 = got.replicas.iter().sum();
            prop_assert_eq!(total, replicas);
        }

        #[test]
        fn dynamic_replicas_sum_to_the_total(
            replicas in 0i32..300,
            cands in proptest::collection::btree_map("[a-e][0-9]", 0i32..100, 1..8),
            prev in proptest::collection::btree_map("[a-e][0-9]", 0i32..50, 0..8),
            aggregated in any::<bool>(),
            fresh in any::<bool>(),
        ) {
            let candidates: Vec<DynamicCandidate<'_>> = cands.iter().map(|(n, a)| DynamicCandidate { name: n, allocatable: *a }).collect();
            let previous: Vec<TargetCluster> = prev.iter().map(|(n, r)| TargetCluster::new(n.clone(), *r)).collect();
            if let Ok(got) = assign_dynamic(aggregated, replicas, &candidates, &previous, "", fresh) {
                let total: i32 = got.replicas.iter().sum();
                prop_assert_eq!(total, replicas);
                prop_assert_eq!(got.replicas.len(), candidates.len());
            }
        }

        #[test]
        fn static_scale_up_never_takes_a_replica_away(
            replicas in 0i32..300,
            extra in 1i32..50,
            weights in votes_strategy(),
            uid in "[0-9a-f]{0,8}",
        ) {
            let w: Vec<(&str, i64)> = weights.iter().map(|(n, v)| (n.as_str(), *v)).collect();
            let before = assign_static(replicas, &w, &uid).replicas;
            let after = assign_static(replicas + extra, &w, &uid).replicas;
            for (i, (b, a)) in before.iter().zip(&after).enumerate() {
                prop_assert!(a >= b, "{} went from {} to {}", w[i].0, b, a);
            }
        }

        #[test]
        fn webster_is_deterministic(
            n in 0i32..200,
            weights in votes_strategy(),
            uid in "[0-9a-f]{0,8}",
        ) {
            let a = webster::<_, &str>(n, &weights, &[], &uid);
            let b = webster::<_, &str>(n, &weights, &[], &uid);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn fast_path_matches_seat_by_seat(
            n in 0i32..6000,
            weights in proptest::collection::btree_map("[a-e][0-9]", 0i64..1000, 1..8),
            init in proptest::collection::btree_map("[a-e][0-9]", 0i32..200, 0..4),
            uid in "[0-9a-f]{0,8}",
        ) {
            let votes: Vec<(String, i64)> = weights.into_iter().collect();
            let init: Vec<(String, i32)> = init.into_iter().collect();
            let slow = webster_with(n, &votes, &init, &uid, i64::MAX);
            let fast = webster_with(n, &votes, &init, &uid, 0);
            prop_assert_eq!(slow, fast);
        }
    }
}
