//! `flotilla join` and `flotilla unjoin`: flags, validation and messages around
//! [`flotilla_controllers::cluster::join`] and [`flotilla_controllers::cluster::unjoin`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use flotilla_controllers::cluster::{self, JoinSpec};

/// `flotilla join NAME --cluster-kubeconfig FILE ...`
#[derive(Args, Debug)]
pub struct JoinOptions {
    /// Name of the member cluster in the federation (a DNS-1123 label, at most 48 characters).
    pub name: String,
    /// Kubeconfig of the member cluster; its server, CA and token are what the federation uses.
    #[arg(long)]
    pub cluster_kubeconfig: PathBuf,
    /// Context of the member kubeconfig to use (default: its current context).
    #[arg(long)]
    pub cluster_context: Option<String>,
    /// Kubeconfig of the Flotilla federation API server.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: PathBuf,
    /// Labels of the Cluster, e.g. `env=prod,team=web`.
    #[arg(long, default_value = "")]
    pub labels: String,
    /// Cloud provider of the member (`spec.provider`).
    #[arg(long)]
    pub provider: Option<String>,
    /// Region of the member (`spec.region`).
    #[arg(long)]
    pub region: Option<String>,
    /// Zones the member spans, comma-separated (`spec.zones`).
    #[arg(long, value_delimiter = ',')]
    pub zones: Vec<String>,
}

impl JoinOptions {
    /// Checks the flags and returns what to join with.
    pub fn validate(&self) -> Result<JoinSpec> {
        cluster::join::validate_name(&self.name)?;
        for (flag, path) in [
            ("--cluster-kubeconfig", &self.cluster_kubeconfig),
            ("--kubeconfig", &self.kubeconfig),
        ] {
            if !path.is_file() {
                bail!("{flag} {} does not exist or is not a file", path.display());
            }
        }
        let labels: BTreeMap<String, String> = cluster::join::parse_labels(&self.labels)?;
        let spec = JoinSpec {
            labels,
            provider: self.provider.clone().filter(|p| !p.is_empty()),
            region: self.region.clone().filter(|r| !r.is_empty()),
            zones: self
                .zones
                .iter()
                .map(|z| z.trim().to_owned())
                .filter(|z| !z.is_empty())
                .collect(),
        };
        spec.validate()?;
        Ok(spec)
    }
}

/// `flotilla unjoin NAME`
#[derive(Args, Debug)]
pub struct UnjoinOptions {
    /// Name of the member cluster to remove.
    pub name: String,
    /// Kubeconfig of the Flotilla federation API server.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: PathBuf,
    /// How long to wait for the member's Works and objects to be cleaned up (e.g. 2m, 30s).
    #[arg(long, default_value = "2m", value_parser = crate::parse_duration)]
    pub timeout: Duration,
}

impl UnjoinOptions {
    /// Checks the flags.
    pub fn validate(&self) -> Result<()> {
        cluster::join::validate_name(&self.name)?;
        if !self.kubeconfig.is_file() {
            bail!(
                "--kubeconfig {} does not exist or is not a file",
                self.kubeconfig.display()
            );
        }
        if self.timeout.is_zero() {
            bail!("--timeout must be positive");
        }
        Ok(())
    }
}

pub async fn run_join(opts: JoinOptions) -> Result<()> {
    let spec = opts.validate()?;
    let member =
        kube::config::Kubeconfig::read_from(&opts.cluster_kubeconfig).with_context(|| {
            format!(
                "cannot read the member kubeconfig {}",
                opts.cluster_kubeconfig.display()
            )
        })?;
    let federation = crate::client_from(&opts.kubeconfig).await?;
    let outcome = cluster::join(
        &federation,
        &opts.name,
        &member,
        opts.cluster_context.as_deref(),
        &spec,
    )
    .await?;
    for warning in &outcome.warnings {
        eprintln!("Warning: {warning}");
    }
    let verb = if outcome.created { "joined" } else { "updated" };
    println!(
        "Cluster {name} {verb} (Push mode): API server {endpoint}, Kubernetes {version}, id {id}.",
        name = opts.name,
        endpoint = outcome.api_endpoint,
        version = outcome.kubernetes_version,
        id = outcome.cluster_id,
    );
    println!("Its credentials are in Secret {}.", outcome.secret);
    println!();
    println!("Next:");
    println!(
        "  kubectl get clusters                # READY turns True once the controller-manager has probed {}",
        opts.name
    );
    println!(
        "  kubectl describe cluster {}   # version, APIs, nodes and resources it reports",
        opts.name
    );
    Ok(())
}

pub async fn run_unjoin(opts: UnjoinOptions) -> Result<()> {
    opts.validate()?;
    let federation = crate::client_from(&opts.kubeconfig).await?;
    let outcome = cluster::unjoin(&federation, &opts.name, opts.timeout, |progress| {
        eprintln!("{progress}")
    })
    .await?;
    if !outcome.cluster_found {
        println!(
            "Cluster {} is not joined; nothing to remove (see `kubectl get clusters`).",
            opts.name
        );
    } else {
        println!(
            "Cluster {} unjoined: its Works and execution namespace are gone.",
            opts.name
        );
    }
    if let Some(secret) = &outcome.secret_deleted {
        println!("Deleted its credentials Secret {secret}.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join_opts(dir: &std::path::Path) -> JoinOptions {
        let file = dir.join("kubeconfig");
        std::fs::write(&file, "apiVersion: v1\nkind: Config\n").unwrap();
        JoinOptions {
            name: "member1".into(),
            cluster_kubeconfig: file.clone(),
            cluster_context: None,
            kubeconfig: file,
            labels: "env=prod,tier=gold".into(),
            provider: Some("aws".into()),
            region: Some("eu-west-1".into()),
            zones: vec!["a".into(), " b ".into()],
        }
    }

    #[test]
    fn join_options_validate() {
        let dir = tempfile::tempdir().unwrap();
        let spec = join_opts(dir.path()).validate().unwrap();
        assert_eq!(spec.labels.len(), 2);
        assert_eq!(spec.zones, ["a", "b"]);

        struct Case {
            name: &'static str,
            change: fn(&mut JoinOptions),
            error: &'static str,
        }
        let cases = [
            Case {
                name: "upper-case name",
                change: |o| o.name = "Member1".into(),
                error: "invalid cluster name",
            },
            Case {
                name: "name too long",
                change: |o| o.name = "m".repeat(49),
                error: "48 characters",
            },
            Case {
                name: "missing member kubeconfig",
                change: |o| o.cluster_kubeconfig = "/nonexistent/kubeconfig".into(),
                error: "--cluster-kubeconfig /nonexistent/kubeconfig does not exist",
            },
            Case {
                name: "label without a value",
                change: |o| o.labels = "env".into(),
                error: "invalid label \"env\"",
            },
            Case {
                name: "bad region",
                change: |o| o.region = Some("Not Valid!".into()),
                error: "spec.region",
            },
        ];
        for case in cases {
            let mut opts = join_opts(dir.path());
            (case.change)(&mut opts);
            let err = opts.validate().expect_err(case.name).to_string();
            assert!(err.contains(case.error), "case {}: {err}", case.name);
        }
    }

    #[test]
    fn unjoin_options_validate() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kubeconfig");
        std::fs::write(&file, "").unwrap();
        let ok = UnjoinOptions {
            name: "member1".into(),
            kubeconfig: file.clone(),
            timeout: Duration::from_secs(60),
        };
        assert!(ok.validate().is_ok());
        let zero = UnjoinOptions {
            timeout: Duration::ZERO,
            ..ok
        };
        assert!(zero.validate().is_err());
        let missing = UnjoinOptions {
            name: "member1".into(),
            kubeconfig: dir.path().join("nope"),
            timeout: Duration::from_secs(1),
        };
        assert!(
            missing
                .validate()
                .unwrap_err()
                .to_string()
                .contains("--kubeconfig")
        );
    }
}
