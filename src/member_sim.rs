//! `flotilla member-sim`: a simulated member cluster in its own process — flags, validation and
//! messages around [`flotilla_sim::start`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use flotilla_sim::{CancellationToken, MemberOptions};

/// `flotilla member-sim --name NAME --listen ADDR ...`
#[derive(Args, Debug)]
pub struct MemberSimOptions {
    /// Name of the member cluster (a DNS label); its nodes are NAME-node-0, NAME-node-1, ...
    #[arg(long)]
    pub name: String,
    /// Address the member's Kubernetes API listens on (port 0 picks a free one).
    #[arg(long)]
    pub listen: SocketAddr,
    /// Keep the member's state in this directory, to resume on restart (default: a temporary
    /// directory removed at exit).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Nodes to create (when missing).
    #[arg(long, default_value_t = 3)]
    pub nodes: u32,
    /// CPU capacity of each node (a Kubernetes quantity: 8, 7500m).
    #[arg(long, default_value = "8")]
    pub node_cpu: String,
    /// Memory capacity of each node (a Kubernetes quantity: 32Gi, 512Mi).
    #[arg(long, default_value = "32Gi")]
    pub node_memory: String,
    /// Pods each node can run.
    #[arg(long, default_value_t = 110)]
    pub node_pods: u32,
    /// How long a scheduled pod takes to become Running and Ready (e.g. 500ms, 2s).
    #[arg(long, default_value = "500ms", value_parser = crate::parse_duration)]
    pub pod_ready_delay: Duration,
    /// Write the member's kubeconfig here (default: DATA_DIR/kubeconfig).
    #[arg(long)]
    pub kubeconfig_out: Option<PathBuf>,
    /// Serve the API and nodes only: no workload controllers, pod scheduler or kubelet.
    #[arg(long)]
    pub no_workloads: bool,
}

impl MemberSimOptions {
    /// Checks the flags and returns the member to run.
    pub fn validate(&self) -> Result<MemberOptions> {
        let opts = MemberOptions {
            data_dir: self.data_dir.clone(),
            nodes: self.nodes,
            node_cpu: self.node_cpu.clone(),
            node_memory: self.node_memory.clone(),
            node_pods: self.node_pods,
            pod_ready_delay: self.pod_ready_delay,
            kubeconfig_out: self.kubeconfig_out.clone(),
            workloads: !self.no_workloads,
            ..MemberOptions::new(&self.name, self.listen)
        };
        opts.validate().map_err(|err| match err {
            // Name the flag to change.
            flotilla_sim::Error::InvalidOption { option, reason } => {
                anyhow::anyhow!("--{}: {reason}", option.replace('_', "-"))
            }
            other => other.into(),
        })?;
        Ok(opts)
    }
}

pub async fn run(opts: MemberSimOptions) -> Result<()> {
    let member_opts = opts.validate()?;
    let stop = CancellationToken::new();
    let member = flotilla_sim::start(member_opts, stop.clone())
        .await
        .with_context(|| format!("cannot start member {}", opts.name))?;
    let kubeconfig = member.kubeconfig().display().to_string();
    let last = opts.nodes.checked_sub(1);
    let nodes = match last {
        None => "no nodes (create some with kubectl)".to_owned(),
        Some(0) => format!("1 node ({}-node-0)", opts.name),
        Some(n) => format!(
            "{} nodes ({name}-node-0 … {name}-node-{n})",
            opts.nodes,
            name = opts.name
        ),
    };
    let state = match &opts.data_dir {
        Some(_) => format!(
            "{} (kept: run again with the same --data-dir to resume)",
            member.data_dir().join("state.db").display()
        ),
        None => "a temporary directory, removed at exit (keep it with --data-dir)".to_owned(),
    };
    eprintln!(
        "Simulated member cluster {name} is running on {url}.\n\
         \x20 nodes: {nodes}, each {cpu} CPU, {memory} memory, {pods} pods\n\
         \x20 pods:  Running and Ready {delay:?} after they are scheduled\n\
         \x20 state: {state}\n\
         \n\
         Inspect it with kubectl:\n\
         \x20 kubectl --kubeconfig {kubeconfig} get nodes\n\
         \x20 kubectl --kubeconfig {kubeconfig} create deployment web --image=nginx --replicas=3\n\
         \x20 kubectl --kubeconfig {kubeconfig} get deploy,pods -o wide\n\
         Join it to a federation:\n\
         \x20 flotilla join {name} --cluster-kubeconfig {kubeconfig}\n\
         \n\
         Press Ctrl-C to stop.",
        name = opts.name,
        url = member.url(),
        cpu = opts.node_cpu,
        memory = opts.node_memory,
        pods = opts.node_pods,
        delay = opts.pod_ready_delay,
    );
    let stopping = stop.clone();
    let name = opts.name.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("Stopping member {name} ...");
            stopping.cancel();
        }
    });
    member.wait().await?;
    eprintln!("Member {} stopped.", opts.name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> MemberSimOptions {
        MemberSimOptions {
            name: "member1".into(),
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: None,
            nodes: 3,
            node_cpu: "8".into(),
            node_memory: "32Gi".into(),
            node_pods: 110,
            pod_ready_delay: Duration::from_millis(500),
            kubeconfig_out: None,
            no_workloads: false,
        }
    }

    #[test]
    fn flags_are_checked_and_the_error_names_the_flag() {
        assert!(opts().validate().is_ok());
        struct Case {
            name: &'static str,
            change: fn(&mut MemberSimOptions),
            error: &'static str,
        }
        let cases = [
            Case {
                name: "bad name",
                change: |o| o.name = "Member_1".into(),
                error: "--name: \"Member_1\" must be a DNS label",
            },
            Case {
                name: "bad cpu",
                change: |o| o.node_cpu = "lots".into(),
                error: "--node-cpu:",
            },
            Case {
                name: "bad memory",
                change: |o| o.node_memory = "-1Gi".into(),
                error: "--node-memory:",
            },
            Case {
                name: "no pods",
                change: |o| o.node_pods = 0,
                error: "--node-pods:",
            },
            Case {
                name: "too many nodes",
                change: |o| o.nodes = 1_000_000,
                error: "--nodes:",
            },
        ];
        for case in cases {
            let mut o = opts();
            (case.change)(&mut o);
            let err = o.validate().expect_err(case.name).to_string();
            assert!(err.contains(case.error), "{}: {err}", case.name);
        }
    }
}
