//! End to end: the real `flotilla member-sim` binary, inspected and driven with the real
//! `kubectl` through the kubeconfig it writes — nodes, a Deployment that becomes READY n/n,
//! cordoning, Ctrl-C, and a restart that resumes the same cluster.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Kubectl, eventually, table_rows};

/// How long the member gets to answer `/readyz` and write its kubeconfig.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one kubectl command may run.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a condition may take to become true.
const CONDITION_TIMEOUT: Duration = Duration::from_secs(60);

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        resources:
          requests: {cpu: 250m, memory: 64Mi}
";

fn kubectl_installed() -> bool {
    let found = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| dir.join("kubectl").is_file())
    });
    if !found {
        let message = "kubectl not found on PATH: run `apt-get install -y kubectl`";
        if std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true")) {
            panic!("{message}");
        }
        eprintln!("skipping: {message}");
    }
    found
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running `flotilla member-sim` in a scratch directory; killed on drop (its log printed if
/// the test failed).
struct MemberSim {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
    kubeconfig: PathBuf,
    log: PathBuf,
}

impl MemberSim {
    /// Starts `flotilla member-sim` on a free port with its state in `dir/data`.
    fn start(dir: &Path) -> MemberSim {
        let kubeconfig = dir.join("member.kubeconfig");
        let log = dir.join("member-sim.log");
        for attempt in 1..=3 {
            let port = free_port();
            let _ = std::fs::remove_file(&kubeconfig);
            let log_file = std::fs::File::create(&log).expect("create the log");
            let child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
                .args(["member-sim", "--name", "e2e", "--nodes", "3"])
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .arg("--data-dir")
                .arg(dir.join("data"))
                .arg("--kubeconfig-out")
                .arg(&kubeconfig)
                .args(["--pod-ready-delay", "200ms"])
                .env("FLOTILLA_LOG", "info")
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("clone the log"))
                .stderr(log_file)
                .spawn()
                .expect("run flotilla member-sim");
            let mut member = MemberSim {
                child: Some(child),
                dir: dir.to_owned(),
                port,
                kubeconfig: kubeconfig.clone(),
                log: log.clone(),
            };
            match member.wait_ready() {
                Ok(()) => return member,
                Err(err) if attempt < 3 && err.contains("failed to listen") => continue,
                Err(err) => panic!("flotilla member-sim did not start: {err}"),
            }
        }
        unreachable!("the loop returns or panics")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let child = self.child.as_mut().expect("running");
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("it exited ({status}):\n{}", self.log_text()));
            }
            if self.kubeconfig.is_file()
                && support::http(self.port, "GET", "/readyz", None, b"")
                    .is_ok_and(|r| r.status == 200)
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "not ready in {START_TIMEOUT:?}:\n{}",
                    self.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kubectl(&self, args: &[&str]) -> Kubectl {
        let mut child = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .env_remove("KUBECONFIG")
            .env("KUBECACHEDIR", self.dir.join("kube-cache"))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut out = String::new();
                if let Some(mut p) = pipe {
                    let _ = p.read_to_string(&mut out);
                }
                out
            })
        };
        let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
        let stderr = read(child.stderr.take().map(|p| Box::new(p) as _));
        let deadline = Instant::now() + KUBECTL_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for kubectl") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                panic!(
                    "kubectl {} did not finish in {KUBECTL_TIMEOUT:?}",
                    args.join(" ")
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Kubectl {
            args: args.iter().map(|s| s.to_string()).collect(),
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        }
    }

    fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.success(), "expected success:\n{out}");
        out.stdout
    }

    /// Ctrl-C, and a clean exit.
    fn interrupt(&mut self) {
        let mut child = self.child.take().expect("running");
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for member-sim") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                panic!("member-sim did not stop after Ctrl-C:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "exit {status}:\n{}", self.log_text());
    }
}

impl Drop for MemberSim {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- flotilla member-sim log ---\n{}", self.log_text());
        }
    }
}

/// `kubectl get deploy NAME` shows READY `n/n`.
fn wait_deployment_ready(member: &MemberSim, name: &str, n: usize) {
    eventually(CONDITION_TIMEOUT, || {
        let out = member.kubectl(&["get", "deploy", name]);
        let rows = table_rows(&out.stdout);
        match rows.get(1) {
            Some(row) if row[1] == format!("{n}/{n}") && row[2] == n.to_string() => Ok(()),
            _ => Err(format!("not {n}/{n} yet:\n{out}")),
        }
    });
}

/// (pod, node) for every pod of `app`.
fn pods_and_nodes(member: &MemberSim, app: &str) -> Vec<(String, String)> {
    let out = member.kubectl_ok(&[
        "get",
        "pods",
        "-l",
        &format!("app={app}"),
        "-o",
        "custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,STATUS:.status.phase",
        "--no-headers",
    ]);
    table_rows(&out)
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

#[test]
fn member_sim_runs_a_cluster_that_kubectl_inspects() {
    if !kubectl_installed() {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("flotilla-member-sim-")
        .tempdir()
        .expect("a scratch directory");
    let mut member = MemberSim::start(dir.path());
    let banner = eventually(CONDITION_TIMEOUT, || {
        let log = member.log_text();
        if log.contains("Press Ctrl-C to stop.") {
            Ok(log)
        } else {
            Err(format!("no banner yet:\n{log}"))
        }
    });
    assert!(
        banner.contains(&format!(
            "kubectl --kubeconfig {} get nodes",
            member.kubeconfig.display()
        )),
        "the banner gives the kubectl command:\n{banner}"
    );

    // Three Ready nodes.
    eventually(CONDITION_TIMEOUT, || {
        let out = member.kubectl(&["get", "nodes"]);
        let rows = table_rows(&out.stdout);
        let ready = rows.iter().skip(1).filter(|r| r[1] == "Ready").count();
        if ready == 3 {
            Ok(())
        } else {
            Err(format!("{ready} Ready nodes:\n{out}"))
        }
    });
    let names: Vec<String> = table_rows(&member.kubectl_ok(&["get", "nodes", "--no-headers"]))
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(names, ["e2e-node-0", "e2e-node-1", "e2e-node-2"]);

    // A Deployment becomes READY 3/3, its pods Running on the nodes.
    std::fs::write(dir.path().join("web.yaml"), DEPLOYMENT).expect("write the manifest");
    member.kubectl_ok(&["apply", "-f", "web.yaml"]);
    wait_deployment_ready(&member, "web", 3);
    member.kubectl_ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    let pods = pods_and_nodes(&member, "web");
    assert_eq!(pods.len(), 3);
    assert!(
        pods.iter().all(|(_, node)| names.contains(node)),
        "{pods:?}"
    );
    let wide = member.kubectl_ok(&["get", "pods", "-o", "wide"]);
    assert_eq!(
        table_rows(&wide)
            .iter()
            .skip(1)
            .filter(|r| r[2] == "Running" && r[1] == "1/1")
            .count(),
        3,
        "{wide}"
    );

    // A cordoned node takes no new pods.
    let out = member.kubectl_ok(&["cordon", "e2e-node-0"]);
    assert!(out.contains("cordoned"), "{out}");
    let nodes = member.kubectl_ok(&["get", "node", "e2e-node-0"]);
    assert!(nodes.contains("Ready,SchedulingDisabled"), "{nodes}");
    let before = pods.iter().filter(|(_, n)| n == "e2e-node-0").count();
    // Let the simulator's scheduler see the cordon before the new pods come: a pod pinned to
    // the cordoned node is reported unschedulable.
    std::fs::write(
        dir.path().join("probe.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: probe\nspec:\n  nodeSelector:\n    \
         kubernetes.io/hostname: e2e-node-0\n  containers:\n  - name: c\n    image: busybox\n",
    )
    .expect("write the probe");
    member.kubectl_ok(&["apply", "-f", "probe.yaml"]);
    eventually(CONDITION_TIMEOUT, || {
        let out = member.kubectl(&[
            "get",
            "pod",
            "probe",
            "-o",
            "jsonpath={.status.conditions[0].message}",
        ]);
        if out.stdout.contains("node(s) were unschedulable") {
            Ok(())
        } else {
            Err(format!("not unschedulable yet:\n{out}"))
        }
    });
    member.kubectl_ok(&["scale", "deployment/web", "--replicas=6"]);
    wait_deployment_ready(&member, "web", 6);
    let after = pods_and_nodes(&member, "web");
    assert_eq!(after.len(), 6);
    assert_eq!(
        after.iter().filter(|(_, n)| n == "e2e-node-0").count(),
        before,
        "no new pod on the cordoned node: {after:?}"
    );

    // Ctrl-C stops it cleanly; started again on the same data directory, the cluster is as it
    // was.
    member.interrupt();
    let member = MemberSim::start(dir.path());
    wait_deployment_ready(&member, "web", 6);
    let nodes = member.kubectl_ok(&["get", "nodes", "--no-headers"]);
    assert_eq!(table_rows(&nodes).len(), 3, "{nodes}");
    assert!(nodes.contains("Ready,SchedulingDisabled"), "{nodes}");
}

#[test]
fn member_sim_refuses_bad_flags_saying_which() {
    let out = Command::new(env!("CARGO_BIN_EXE_flotilla"))
        .args([
            "member-sim",
            "--name",
            "Not_A_Label",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .expect("run flotilla member-sim");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--name: \"Not_A_Label\" must be a DNS label"),
        "{stderr}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_flotilla"))
        .args([
            "member-sim",
            "--name",
            "m1",
            "--listen",
            "127.0.0.1:0",
            "--node-cpu",
            "lots",
        ])
        .output()
        .expect("run flotilla member-sim");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--node-cpu: \"lots\" is not a Kubernetes quantity"),
        "{stderr}"
    );
}
