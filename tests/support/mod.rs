//! End-to-end test harness: runs the real `flotilla apiserver` binary (on the embedded store or on
//! a throwaway etcd) and drives it with the real `kubectl`, or with raw HTTP where kubectl cannot
//! send the request a test needs (malformed bodies, wrong content types).
//!
//! ```no_run
//! let Some(server) = Server::start(Backend::Embedded) else { return };
//! server.kubectl_ok(&["get", "namespaces"]);
//! ```
//!
//! Every wait is bounded: start-up polls `/readyz`, kubectl runs under a deadline, and
//! [`eventually`] retries a condition until a timeout. Nothing sleeps in place of a condition.

// A harness API: not every helper is used by every scenario or test binary.
#![allow(dead_code)]

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub mod fleet;

use flotilla_storage::testing::EtcdProcess;
use serde_json::Value;
use tempfile::TempDir;

/// How long the server gets to answer `/readyz`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one kubectl command may run before the test fails (a hung kubectl must not hang CI).
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(60);
/// Interval between two polls of a condition.
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Free ports are found by binding port 0 and releasing it, so another process can take one
/// first; a start that fails to listen is retried on a new port.
const START_ATTEMPTS: usize = 3;

/// What a developer runs when kubectl is missing (etcd's message comes from
/// `flotilla_storage::testing`).
const KUBECTL_MISSING: &str = "kubectl not found on PATH: run `apt-get install -y kubectl` \
    (from the Kubernetes or Google Cloud apt repository)";

/// Which store the server under test keeps its state in. The e2e suite runs every scenario on
/// both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Embedded,
    Etcd,
}

/// Run `scenario` against a fresh server on `backend`; returns early (or, with `CI=true`, fails)
/// when kubectl or etcd is not installed.
pub fn run(backend: Backend, scenario: fn(&Server)) {
    if let Some(server) = Server::start(backend) {
        scenario(&server);
    }
}

/// Whether a missing tool fails the test (CI) or only skips it (a developer's machine).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

fn skip_or_fail(message: &str) {
    if in_ci() {
        panic!("{message}");
    }
    eprintln!("skipping: {message}");
}

fn on_path(binary: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(binary).is_file()))
}

/// A running `flotilla apiserver`, its working directory and a kubectl configured for it. The
/// server (and its etcd) is killed on drop; if the test panicked, the server's log is printed.
pub struct Server {
    pub backend: Backend,
    pub port: u16,
    child: Child,
    dir: TempDir,
    kubeconfig: PathBuf,
    cache_dir: PathBuf,
    log: PathBuf,
    // Declared last so it is dropped after the server has been killed in `Drop`.
    etcd: Option<EtcdProcess>,
}

impl Server {
    /// Start a server on `backend` and wait until it is ready. `None` when kubectl or etcd is not
    /// installed (outside CI).
    pub fn start(backend: Backend) -> Option<Server> {
        if !on_path("kubectl") {
            skip_or_fail(KUBECTL_MISSING);
            return None;
        }
        let etcd = match backend {
            Backend::Embedded => None,
            Backend::Etcd => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build a runtime to start etcd");
                // Prints (or, in CI, panics with) the install command when etcd is missing.
                Some(runtime.block_on(EtcdProcess::start_or_skip())?)
            }
        };
        let dir = tempfile::Builder::new()
            .prefix("flotilla-e2e-")
            .tempdir()
            .expect("create the test directory");
        let cache_dir = dir.path().join("kube-cache");
        std::fs::create_dir_all(&cache_dir).expect("create the kubectl cache directory");
        let kubeconfig = match backend {
            // The embedded store writes DATA_DIR/kubeconfig by itself.
            Backend::Embedded => dir.path().join("data").join("kubeconfig"),
            Backend::Etcd => dir.path().join("kubeconfig"),
        };
        let log = dir.path().join("apiserver.log");

        let mut attempt = 1;
        loop {
            let port = free_port();
            let _ = std::fs::remove_file(&kubeconfig);
            let mut child = spawn_apiserver(backend, port, dir.path(), etcd.as_ref(), &log);
            match wait_ready(&mut child, port, &kubeconfig, &log) {
                Ok(()) => {
                    return Some(Server {
                        backend,
                        port,
                        child,
                        dir,
                        kubeconfig,
                        cache_dir,
                        log,
                        etcd,
                    });
                }
                Err(err) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    if attempt < START_ATTEMPTS && err.contains("cannot listen") {
                        attempt += 1;
                        continue;
                    }
                    panic!("flotilla apiserver ({backend:?}) did not start: {err}");
                }
            }
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no log: {e})"))
    }

    /// The test's scratch directory (manifests are written here).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Write `contents` to `name` in the scratch directory and return its path.
    pub fn write_file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {name}: {e}"));
        path
    }

    /// The kubectl command for this server: its own kubeconfig and its own discovery cache, so
    /// nothing leaks between servers.
    pub fn kubectl_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("kubectl");
        cmd.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .env_remove("KUBECONFIG")
            .env("KUBECACHEDIR", &self.cache_dir)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    /// Run kubectl to completion (bounded by [`KUBECTL_TIMEOUT`]).
    pub fn kubectl(&self, args: &[&str]) -> Kubectl {
        let child = self
            .kubectl_command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("failed to run kubectl: {e}"));
        wait_kubectl(child, args, KUBECTL_TIMEOUT)
    }

    /// Run kubectl and return its stdout; panics with its output when it fails.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.success(), "expected success:\n{out}");
        out.stdout
    }

    /// Run kubectl that must fail; returns its stderr.
    pub fn kubectl_err(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(!out.success(), "expected failure:\n{out}");
        out.stderr
    }

    /// `kubectl <args> -o json`, parsed.
    pub fn get_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let out = self.kubectl_ok(&all);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("kubectl {all:?}: bad JSON ({e}):\n{out}"))
    }

    /// Whether `kubectl get <what>` answers NotFound.
    pub fn assert_not_found(&self, what: &[&str]) {
        let mut args = vec!["get"];
        args.extend(what);
        let out = self.kubectl(&args);
        assert!(
            !out.success() && out.stderr.contains("NotFound"),
            "expected NotFound:\n{out}"
        );
    }

    /// The `-o name` list of `resource` (extra args such as `-n ns` or `-A` allowed).
    pub fn names(&self, args: &[&str]) -> Vec<String> {
        let mut all = vec!["get"];
        all.extend(args);
        all.extend(["-o", "name"]);
        let mut names: Vec<String> = self
            .kubectl_ok(&all)
            .lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect();
        names.sort();
        names
    }

    /// `kubectl apply -f` of `yaml` (written to `name`); returns stdout.
    pub fn apply_yaml(&self, name: &str, yaml: &str) -> String {
        let path = self.write_file(name, yaml);
        self.kubectl_ok(&["apply", "-f", path.to_str().expect("utf-8 path")])
    }

    /// `kubectl create -f` of `yaml` (written to `name`); returns stdout.
    pub fn create_yaml(&self, name: &str, yaml: &str) -> String {
        let path = self.write_file(name, yaml);
        self.kubectl_ok(&["create", "-f", path.to_str().expect("utf-8 path")])
    }

    /// Start a long-running kubectl (a watch, a waiting delete); killed on drop.
    pub fn spawn_kubectl(&self, args: &[&str]) -> Background {
        let child = self
            .kubectl_command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("failed to run kubectl: {e}"));
        Background::new(child, args, true)
    }

    /// Start `kubectl <args>` whose stdout is a stream of JSON documents (e.g.
    /// `get -w --output-watch-events -o json`) and read them as they arrive.
    pub fn watch_json(&self, args: &[&str]) -> JsonStream {
        let mut child = self
            .kubectl_command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("failed to run kubectl: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || read_json_stream(stdout, tx));
        JsonStream {
            background: Background::new(child, args, false),
            rx,
        }
    }

    /// A raw HTTP request to the server (for what kubectl cannot send).
    pub fn http(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> HttpResponse {
        http(self.port, method, path, content_type, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            eprintln!(
                "--- last lines of the flotilla apiserver log ({:?}) ---",
                self.backend
            );
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// Bounded polling until the server answers `/readyz` (and has written its kubeconfig).
fn wait_ready(child: &mut Child, port: u16, kubeconfig: &Path, log: &Path) -> Result<(), String> {
    let read_log = || std::fs::read_to_string(log).unwrap_or_else(|e| format!("(no log: {e})"));
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("it exited ({status}); its log:\n{}", read_log()));
        }
        if let Ok(resp) = http(port, "GET", "/readyz", None, b"")
            && resp.status == 200
            && kubeconfig.is_file()
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "/readyz did not answer 200 within {READY_TIMEOUT:?}; its log:\n{}",
                read_log()
            ));
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

fn spawn_apiserver(
    backend: Backend,
    port: u16,
    dir: &Path,
    etcd: Option<&EtcdProcess>,
    log: &Path,
) -> Child {
    let log_file = std::fs::File::create(log).expect("create the server log");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_flotilla"));
    cmd.arg("apiserver")
        .args(["--listen", &format!("127.0.0.1:{port}")]);
    match backend {
        Backend::Embedded => {
            cmd.arg("--data-dir").arg(dir.join("data"));
        }
        Backend::Etcd => {
            let etcd = etcd.expect("etcd for the etcd backend");
            cmd.args(["--etcd-servers", &etcd.endpoint])
                .args(["--etcd-prefix", "/flotilla-e2e"])
                .arg("--kubeconfig-out")
                .arg(dir.join("kubeconfig"));
        }
    }
    cmd.env("FLOTILLA_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("clone the log file"))
        .stderr(log_file)
        .spawn()
        .unwrap_or_else(|e| panic!("failed to run flotilla: {e}"))
}

/// Poll `f` until it returns `Ok` or `timeout` passes; then panic with its last error.
pub fn eventually<T>(timeout: Duration, mut f: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match f() {
            Ok(v) => return v,
            Err(err) if Instant::now() >= deadline => {
                panic!("condition not met within {timeout:?}: {err}")
            }
            Err(_) => std::thread::sleep(POLL_INTERVAL),
        }
    }
}

/// What one kubectl run printed.
pub struct Kubectl {
    pub args: Vec<String>,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Kubectl {
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

impl fmt::Display for Kubectl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ kubectl {}\n[{}]\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.status,
            self.stdout,
            self.stderr
        )
    }
}

fn wait_kubectl(mut child: Child, args: &[&str], timeout: Duration) -> Kubectl {
    // Read both pipes on threads so a chatty kubectl never blocks on a full pipe.
    let stdout = child.stdout.take().map(spawn_reader);
    let stderr = child.stderr.take().map(spawn_reader);
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for kubectl") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "kubectl {} did not finish within {timeout:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let join = |h: Option<std::thread::JoinHandle<String>>| {
        h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    };
    Kubectl {
        args: args.iter().map(|s| s.to_string()).collect(),
        status,
        stdout: join(stdout),
        stderr: join(stderr),
    }
}

fn spawn_reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// A kubectl running in the background; killed on drop unless waited for. Its stdout is read
/// line by line as it arrives.
pub struct Background {
    child: Option<Child>,
    args: Vec<String>,
    lines: Option<mpsc::Receiver<String>>,
    seen: Vec<String>,
}

impl Background {
    fn new(mut child: Child, args: &[&str], read_lines: bool) -> Background {
        let lines = if read_lines {
            let stdout = child.stdout.take().expect("piped stdout");
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { return };
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            });
            Some(rx)
        } else {
            None
        };
        Background {
            child: Some(child),
            args: args.iter().map(|s| s.to_string()).collect(),
            lines,
            seen: Vec::new(),
        }
    }

    fn command_line(&self) -> String {
        self.args.join(" ")
    }

    /// The next line it prints, waiting at most `timeout`.
    pub fn next_stdout_line(&mut self, timeout: Duration) -> String {
        let rx = self.lines.as_ref().expect("stdout is read as lines");
        match rx.recv_timeout(timeout) {
            Ok(line) => {
                self.seen.push(line.clone());
                line
            }
            Err(e) => panic!(
                "kubectl {}: no line within {timeout:?} ({e}); printed so far: {:?}",
                self.command_line(),
                self.seen
            ),
        }
    }

    /// Wait (bounded) for it to exit by itself.
    pub fn wait(mut self, timeout: Duration) -> Kubectl {
        let child = self.child.take().expect("not yet waited for");
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut out = wait_kubectl(child, &args, timeout);
        if let Some(rx) = self.lines.take() {
            // The pipe is closed now that the process is gone, so this ends.
            let mut all = std::mem::take(&mut self.seen);
            all.extend(rx.iter());
            out.stdout = all.join("\n");
        }
        out
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The JSON documents a background kubectl prints, as they arrive.
pub struct JsonStream {
    background: Background,
    rx: mpsc::Receiver<Result<Value, String>>,
}

impl JsonStream {
    /// The next document, waiting at most `timeout`; panics on timeout or when the stream ends.
    pub fn next(&mut self, timeout: Duration) -> Value {
        match self.rx.recv_timeout(timeout) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => panic!("kubectl {}: {e}", self.background.command_line()),
            Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                "kubectl {} printed nothing more within {timeout:?}",
                self.background.command_line()
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let child = self.background.child.take().expect("running");
                let args: Vec<&str> = self.background.args.iter().map(String::as_str).collect();
                let out = wait_kubectl(child, &args, Duration::from_secs(5));
                panic!("the stream ended:\n{out}")
            }
        }
    }

    /// Skip documents until one satisfies `pred` (bounded by `timeout` overall).
    pub fn next_matching(&mut self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(Ok(v)) if pred(&v) => return v,
                Ok(Ok(v)) => seen.push(v),
                Ok(Err(e)) => panic!("kubectl {}: {e}", self.background.command_line()),
                Err(_) => panic!(
                    "kubectl {}: no matching document within {timeout:?}; saw {seen:#?}",
                    self.background.command_line()
                ),
            }
        }
    }
}

fn read_json_stream(stdout: ChildStdout, tx: mpsc::Sender<Result<Value, String>>) {
    let reader = BufReader::new(stdout);
    for doc in serde_json::Deserializer::from_reader(reader).into_iter::<Value>() {
        let msg = doc.map_err(|e| format!("bad JSON on stdout: {e}"));
        let stop = msg.is_err();
        if tx.send(msg).is_err() || stop {
            return;
        }
    }
}

/// A raw HTTP response.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as JSON; panics (showing the body) if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "HTTP {} body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

impl fmt::Display for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = String::from_utf8_lossy(&self.body);
        let body: String = body.chars().take(2000).collect();
        write!(f, "HTTP {} ({:?}): {body}", self.status, self.content_type)
    }
}

/// A minimal HTTP/1.1 client: one request per connection. The body is written on its own
/// thread while the response is read, so a server that answers before reading a large body
/// (413) is still heard.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    http_accepting(port, method, path, "application/json", content_type, body)
}

/// [`http`] with a chosen `Accept` header (Table, PartialObjectMetadata, ...).
pub fn http_accepting(
    port: u16,
    method: &str,
    path: &str,
    accept: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> std::io::Result<HttpResponse> {
    let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\n\
         Connection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    let mut writer = stream.try_clone()?;
    writer.write_all(head.as_bytes())?;
    let body = body.to_vec();
    let write = std::thread::spawn(move || {
        // The server may close early (e.g. 413); the response still tells what happened.
        let _ = writer.write_all(&body);
        let _ = writer.flush();
    });

    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {status_line:?}")))?;
    let mut content_type = None;
    let mut content_length = None;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-type" => content_type = Some(value.to_owned()),
                "content-length" => content_length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                _ => {}
            }
        }
    }
    let body = if chunked {
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|e| std::io::Error::other(format!("bad chunk size: {e}")))?;
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk)?;
            body.extend(chunk);
            let mut crlf = String::new();
            reader.read_line(&mut crlf)?;
        }
        body
    } else if let Some(len) = content_length {
        let mut body = vec![0; len];
        reader.read_exact(&mut body)?;
        body
    } else {
        let mut body = Vec::new();
        reader.read_to_end(&mut body)?;
        body
    };
    drop(reader);
    let _ = write.join();
    Ok(HttpResponse {
        status,
        content_type,
        body,
    })
}

/// Rows of a kubectl table (header included), split on whitespace.
pub fn table_rows(output: &str) -> Vec<Vec<String>> {
    output
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// `value` at a JSON pointer, panicking with the document when absent.
pub fn at<'a>(value: &'a Value, pointer: &str) -> &'a Value {
    value
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{pointer} missing in {value:#}"))
}

/// A ConfigMap manifest with string data, for the scenarios.
pub fn configmap(name: &str, data: &[(&str, &str)]) -> String {
    let mut yaml = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n");
    for (k, v) in data {
        yaml.push_str(&format!("  {k}: \"{v}\"\n"));
    }
    yaml
}
