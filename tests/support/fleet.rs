//! A whole local fleet for end-to-end tests: the real `flotilla up` binary (control plane and
//! simulated members in one process) in a temporary directory, driven with the real `kubectl`
//! against the federation and against each member.
//!
//! ```no_run
//! let Some(fleet) = Fleet::up(&["member1", "member2"]) else { return };
//! fleet.kubectl_ok(&["get", "clusters"]);
//! fleet.member("member1").kubectl_ok(&["get", "nodes"]);
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::{KUBECTL_MISSING, Kubectl, on_path, skip_or_fail, wait_kubectl};

/// How long `flotilla up` gets to start everything and see every member Ready.
const UP_TIMEOUT: Duration = Duration::from_secs(90);
/// How long one kubectl command may run.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(120);
/// The line `flotilla up` prints once the fleet is ready.
pub const READY_LINE: &str = "Flotilla is up";

/// A running `flotilla up`. Stopped with SIGINT (as Ctrl-C) on drop; its output is printed if
/// the test panicked.
pub struct Fleet {
    child: Option<Child>,
    dir: TempDir,
    args: Vec<String>,
    output: Mutex<mpsc::Receiver<String>>,
    seen: Mutex<Vec<String>>,
}

/// One member cluster of a [`Fleet`], reached with its own kubeconfig.
pub struct Member<'a> {
    fleet: &'a Fleet,
    pub name: String,
}

impl Fleet {
    /// Starts `flotilla up --members <names>` on free ports and waits for its ready banner.
    /// `None` when kubectl is not installed (outside CI; in CI that fails the test).
    pub fn up(members: &[&str]) -> Option<Fleet> {
        Fleet::up_with(&["--members", &members.join(",")])
    }

    /// Starts `flotilla up` with `args` (plus `--port 0`) in a fresh directory.
    pub fn up_with(args: &[&str]) -> Option<Fleet> {
        if !on_path("kubectl") {
            skip_or_fail(KUBECTL_MISSING);
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("flotilla-fleet-")
            .tempdir()
            .expect("create the fleet directory");
        let mut fleet = Fleet {
            child: None,
            dir,
            args: args.iter().map(|s| s.to_string()).collect(),
            output: Mutex::new(mpsc::channel().1),
            seen: Mutex::new(Vec::new()),
        };
        fleet.start();
        Some(fleet)
    }

    /// Starts (or, after [`Fleet::stop`], resumes) `flotilla up` in this fleet's directory.
    pub fn start(&mut self) {
        let mut args = vec!["up".to_owned(), "--port".to_owned(), "0".to_owned()];
        args.extend(self.args.iter().cloned());
        let mut child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
            .args(&args)
            .current_dir(self.dir.path())
            .env("FLOTILLA_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start flotilla up");
        let (tx, rx) = mpsc::channel();
        for pipe in [
            Box::new(child.stdout.take().expect("piped stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("piped stderr")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        self.output = Mutex::new(rx);
        self.child = Some(child);
        let deadline = Instant::now() + UP_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = self.output.lock().unwrap().recv_timeout(left);
            match next {
                Ok(line) => {
                    let ready = line.starts_with(READY_LINE);
                    self.seen.lock().unwrap().push(line);
                    if ready {
                        break;
                    }
                }
                Err(_) => panic!(
                    "flotilla {} did not print {READY_LINE:?} within {UP_TIMEOUT:?}; output:\n{}",
                    args.join(" "),
                    self.output_so_far()
                ),
            }
        }
    }

    /// Everything `flotilla up` printed so far.
    pub fn output_so_far(&self) -> String {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let output = self.output.lock().unwrap_or_else(|e| e.into_inner());
        while let Ok(line) = output.try_recv() {
            seen.push(line);
        }
        seen.join("\n")
    }

    /// Sends SIGINT (Ctrl-C) and waits for a clean exit; panics if it does not exit cleanly.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -INT failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        let exit = loop {
            if let Some(exit) = child.try_wait().expect("wait for flotilla up") {
                break exit;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                panic!(
                    "flotilla up did not stop within 30s of Ctrl-C; output:\n{}",
                    self.output_so_far()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(
            exit.success(),
            "flotilla up exited with {exit} after Ctrl-C; output:\n{}",
            self.output_so_far()
        );
    }

    /// The directory `flotilla up` runs in (the data directory is `.flotilla` inside it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The federation's kubeconfig.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join(".flotilla").join("kubeconfig")
    }

    /// A member cluster.
    pub fn member(&self, name: &str) -> Member<'_> {
        Member {
            fleet: self,
            name: name.to_owned(),
        }
    }

    /// Runs kubectl against the federation.
    pub fn kubectl(&self, args: &[&str]) -> Kubectl {
        self.kubectl_with(&self.kubeconfig(), args)
    }

    fn kubectl_with(&self, kubeconfig: &Path, args: &[&str]) -> Kubectl {
        let child = Command::new("kubectl")
            .args(args)
            .current_dir(self.dir.path())
            .env("KUBECONFIG", kubeconfig)
            .env("KUBECACHEDIR", self.dir.path().join("kube-cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        wait_kubectl(child, args, KUBECTL_TIMEOUT)
    }

    /// Runs kubectl against the federation and panics unless it succeeds.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.success(), "{out}");
        out.stdout
    }

    /// `kubectl get ... -o json` against the federation.
    pub fn get_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["get"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", "json"]);
        serde_json::from_str(&self.kubectl_ok(&all)).expect("kubectl printed JSON")
    }

    /// Writes `contents` to `name` in the fleet directory and returns its path.
    pub fn write_file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write a manifest");
        path
    }

    /// `kubectl apply -f` of `yaml` against the federation.
    pub fn apply_yaml(&self, name: &str, yaml: &str) -> String {
        let path = self.write_file(name, yaml);
        self.kubectl_ok(&["apply", "-f", path.to_str().expect("utf-8 path")])
    }
}

impl Member<'_> {
    /// This member's kubeconfig, as `flotilla up` wrote it.
    pub fn kubeconfig(&self) -> PathBuf {
        self.fleet
            .dir
            .path()
            .join(".flotilla")
            .join("members")
            .join(format!("{}.kubeconfig", self.name))
    }

    /// Runs kubectl against this member.
    pub fn kubectl(&self, args: &[&str]) -> Kubectl {
        self.fleet.kubectl_with(&self.kubeconfig(), args)
    }

    /// Runs kubectl against this member and panics unless it succeeds.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.success(), "[member {}] {out}", self.name);
        out.stdout
    }

    /// `kubectl get ... -o json` against this member.
    pub fn get_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["get"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", "json"]);
        serde_json::from_str(&self.kubectl_ok(&all)).expect("kubectl printed JSON")
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- flotilla up output ---\n{}\n--- log ---\n{}",
                self.output_so_far(),
                std::fs::read_to_string(self.dir.path().join(".flotilla").join("flotilla.log"))
                    .unwrap_or_default()
            );
        }
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
