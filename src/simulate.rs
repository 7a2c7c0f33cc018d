//! `flotilla simulate`: a placement before it happens, with no server. It builds the binding the
//! detector would build for the workload and runs the scheduler's own code path on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use flotilla_api::{Cluster, ClusterPropagationPolicy, PropagationPolicy, ResourceBinding};
use flotilla_controllers::detector::binding::{TemplateObject, build_binding};
use flotilla_controllers::detector::matching::{Claims, PolicyEntry, Template};
use flotilla_scheduler::{ScheduleOptions, ScheduleOutcome, ScheduleResult};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Output {
    Json,
    Yaml,
    Table,
}

#[derive(Args, Debug)]
pub struct SimulateOptions {
    /// Cluster objects: a multi-document YAML or a List.
    #[arg(long)]
    clusters: PathBuf,
    /// One PropagationPolicy or ClusterPropagationPolicy.
    #[arg(long)]
    policy: PathBuf,
    /// The workload manifest (its metadata.uid drives tie-breaks).
    #[arg(long)]
    workload: PathBuf,
    /// The previous ResourceBinding: its spec.clusters is the prior placement.
    #[arg(long)]
    previous: Option<PathBuf>,
    /// Divide replicas from scratch, as a manual reschedule does.
    #[arg(long)]
    fresh: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "table")]
    output: Output,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Every object in a file: YAML documents, with `List`s flattened.
fn documents(path: &Path) -> Result<Vec<Value>> {
    let text = read(path)?;
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text)
        .with_context(|| format!("{} is not valid YAML", path.display()))?;
    let mut out = Vec::new();
    for doc in docs {
        if doc.is_null() {
            continue;
        }
        match doc.get("items").and_then(|i| i.as_array()) {
            Some(items)
                if doc
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .is_some_and(|k| k.ends_with("List")) =>
            {
                out.extend(items.iter().cloned())
            }
            _ => out.push(doc),
        }
    }
    Ok(out)
}

fn one_document(path: &Path) -> Result<Value> {
    let mut docs = documents(path)?;
    match docs.len() {
        1 => Ok(docs.remove(0)),
        0 => bail!("{} holds no object", path.display()),
        n => bail!("{} holds {n} objects; give exactly one", path.display()),
    }
}

fn policy_entry(
    doc: &Value,
    path: &Path,
) -> Result<(PolicyEntry, flotilla_api::policy::v1alpha1::PropagationSpec)> {
    let kind = doc.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    let violations = |v: Vec<flotilla_api::validation::FieldViolation>| -> Result<()> {
        if v.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = v.iter().map(|f| format!("  {f}")).collect();
        bail!("{} is invalid:\n{}", path.display(), lines.join("\n"))
    };
    match kind {
        "PropagationPolicy" => {
            let mut p: PropagationPolicy = serde_json::from_value(doc.clone())
                .with_context(|| format!("{} is not a valid PropagationPolicy", path.display()))?;
            if p.metadata.namespace.is_none() {
                p.metadata.namespace = Some("default".into());
            }
            flotilla_api::validation::default_propagation_policy(&mut p);
            violations(flotilla_api::validation::validate_propagation_policy(&p))?;
            Ok((PolicyEntry::from_propagation_policy(&p), p.spec))
        }
        "ClusterPropagationPolicy" => {
            let mut p: ClusterPropagationPolicy = serde_json::from_value(doc.clone())
                .with_context(|| {
                    format!("{} is not a valid ClusterPropagationPolicy", path.display())
                })?;
            flotilla_api::validation::default_cluster_propagation_policy(&mut p);
            violations(flotilla_api::validation::validate_cluster_propagation_policy(&p))?;
            Ok((PolicyEntry::from_cluster_propagation_policy(&p), p.spec))
        }
        other => bail!(
            "{} is a {other:?}; --policy takes a PropagationPolicy or ClusterPropagationPolicy",
            path.display()
        ),
    }
}

/// The JSON form `-o json` prints.
fn report(outcome: &ScheduleOutcome) -> Value {
    let result = match outcome.result {
        ScheduleResult::Scheduled => "Scheduled",
        ScheduleResult::Unschedulable => "Unschedulable",
        ScheduleResult::NoClusterFit => "NoClusterFit",
        ScheduleResult::Error => "Error",
    };
    let mut clusters: Vec<Value> = outcome
        .targets
        .iter()
        .map(|t| json!({"name": t.name, "replicas": t.replicas}))
        .collect();
    clusters.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let decisions: Vec<Value> = outcome
        .decisions
        .iter()
        .map(|d| {
            json!({
                "name": d.name,
                "selected": d.selected,
                "replicas": d.replicas,
                "availableReplicas": d.available_replicas,
                "reasons": d.reasons.iter().map(|r| format!("{}: {}", r.plugin, r.message)).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"result": result, "clusters": clusters, "decisions": decisions, "message": outcome.message})
}

fn table(report: &Value) -> String {
    let mut out = format!(
        "RESULT: {}\n{}\n\n",
        report["result"].as_str().unwrap_or(""),
        report["message"].as_str().unwrap_or("")
    );
    let rows: Vec<[String; 5]> = report["decisions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            [
                d["name"].as_str().unwrap_or("").to_string(),
                if d["selected"].as_bool() == Some(true) {
                    "yes".into()
                } else {
                    "no".into()
                },
                d["replicas"].to_string(),
                d["availableReplicas"]
                    .as_i64()
                    .map_or("-".into(), |a| a.to_string()),
                d["reasons"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let header = ["CLUSTER", "SELECTED", "REPLICAS", "AVAILABLE", "REASONS"];
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate().take(4) {
            widths[i] = widths[i].max(cell.len());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i < 4 {
                s.push_str(&format!("{c:<w$}   ", w = widths[i]));
            } else {
                s.push_str(c);
            }
        }
        s.trim_end().to_string() + "\n"
    };
    out.push_str(&line(header.to_vec()));
    for row in &rows {
        out.push_str(&line(row.iter().map(|s| s.as_str()).collect()));
    }
    out
}

/// Run the simulation; `Ok(true)` when the workload was scheduled.
pub fn run(opts: SimulateOptions) -> Result<bool> {
    let clusters: Vec<Cluster> = documents(&opts.clusters)?
        .into_iter()
        .enumerate()
        .map(|(i, doc)| {
            serde_json::from_value(doc).with_context(|| {
                format!(
                    "object {} of {} is not a valid Cluster",
                    i + 1,
                    opts.clusters.display()
                )
            })
        })
        .collect::<Result<_>>()?;
    let (entry, _spec) = policy_entry(&one_document(&opts.policy)?, &opts.policy)?;
    let workload = one_document(&opts.workload)?;
    let s = |p: &str| {
        workload
            .pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let (api_version, kind, name, uid) = (
        s("/apiVersion"),
        s("/kind"),
        s("/metadata/name"),
        s("/metadata/uid"),
    );
    if api_version.is_empty() || kind.is_empty() || name.is_empty() {
        bail!(
            "{} needs apiVersion, kind and metadata.name",
            opts.workload.display()
        );
    }
    let namespace = match workload
        .pointer("/metadata/namespace")
        .and_then(|v| v.as_str())
    {
        Some(ns) => ns.to_string(),
        // A namespaced policy selects in its own namespace; take that for a manifest without one.
        None => entry.policy.namespace.clone(),
    };
    let labels: BTreeMap<String, String> = workload
        .pointer("/metadata/labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok())
        .unwrap_or_default();
    let claims = Claims::default();
    let template = Template {
        api_version: &api_version,
        kind: &kind,
        namespace: &namespace,
        name: &name,
        labels: &labels,
        claims: &claims,
    };
    if !entry.matches(&template) {
        bail!(
            "the policy in {} does not select {kind} {namespace}/{name}: check its resourceSelectors (apiVersion, kind, namespace, name, labelSelector)",
            opts.policy.display()
        );
    }
    let mut data = workload.clone();
    if let Some(map) = data.as_object_mut() {
        map.remove("metadata");
    }
    let desired = build_binding(
        &TemplateObject {
            api_version: &api_version,
            kind: &kind,
            namespace: &namespace,
            name: &name,
            uid: &uid,
            resource_version: "",
            data: &data,
        },
        &entry,
    )
    .with_context(|| {
        format!(
            "cannot interpret the replicas of {}",
            opts.workload.display()
        )
    })?;
    let mut spec = desired.spec;
    let mut status = None;
    if let Some(prev) = &opts.previous {
        let previous: ResourceBinding = serde_json::from_value(one_document(prev)?)
            .with_context(|| format!("{} is not a valid ResourceBinding", prev.display()))?;
        spec.clusters = previous.spec.clusters;
        status = previous.status;
    }
    let (mut input, warnings) = flotilla_scheduler::from_api::schedule_input(
        &spec,
        status.as_ref(),
        &clusters,
        ScheduleOptions::default(),
    )
    .context("cannot build the scheduler's input")?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    input.binding.reschedule_requested |= opts.fresh;
    let outcome = flotilla_scheduler::schedule(&input);
    let report = report(&outcome);
    match opts.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Yaml => print!("{}", serde_saphyr::to_string(&report)?),
        Output::Table => print!("{}", table(&report)),
    }
    Ok(outcome.result == ScheduleResult::Scheduled)
}
