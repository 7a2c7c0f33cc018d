//! End-to-end: imperative `kubectl create <kind>` against the real `flotilla apiserver`.
//!
//! kubectl sends these objects as Kubernetes protobuf, not JSON; the server must decode them and
//! store what kube-apiserver would store (before its defaulting, which Flotilla does not do).
//! Each check reads the object back with `-o json` and requires every field kubectl set, with
//! kube-apiserver's JSON names and encodings, to be there.
//!
//! The harness is deliberately small: one server per test on a free port with a temporary data
//! directory, bounded polling of `/readyz`, and a kill on drop.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);

#[test]
fn imperative_creates_store_what_kube_apiserver_would() {
    let Some(server) = Server::start() else {
        return;
    };
    let cases: &[(&[&str], &[&str], Value)] = &[
        (
            &["create", "namespace", "demo"],
            &["get", "namespace", "demo"],
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "deployment",
                "web",
                "--image=nginx",
                "--replicas=2",
            ],
            &["-n", "demo", "get", "deployment", "web"],
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "demo", "labels": {"app": "web"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]},
                },
            }}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "configmap",
                "c",
                "--from-literal=a=b",
            ],
            &["-n", "demo", "get", "configmap", "c"],
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "demo"}, "data": {"a": "b"}}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "secret",
                "generic",
                "s",
                "--from-literal=p=q",
            ],
            &["-n", "demo", "get", "secret", "s"],
            // Secret data is base64, as Go writes []byte.
            json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "s", "namespace": "demo"}, "data": {"p": "cQ=="}}),
        ),
        (
            &["-n", "demo", "create", "job", "j", "--image=busybox"],
            &["-n", "demo", "get", "job", "j"],
            json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "j", "namespace": "demo"},
            "spec": {"template": {"metadata": {}, "spec": {
                "containers": [{"name": "j", "image": "busybox", "resources": {}}],
                "restartPolicy": "Never",
            }}}}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "service",
                "clusterip",
                "svc",
                "--tcp=80:8080",
            ],
            &["-n", "demo", "get", "service", "svc"],
            // targetPort is an IntOrString: a number here, a name below.
            json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "svc", "namespace": "demo", "labels": {"app": "svc"}},
            "spec": {
                "ports": [{"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}],
                "selector": {"app": "svc"},
                "type": "ClusterIP",
            }}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "service",
                "loadbalancer",
                "lb",
                "--tcp=443:https",
            ],
            &["-n", "demo", "get", "service", "lb"],
            json!({"spec": {"ports": [{"port": 443, "targetPort": "https"}], "type": "LoadBalancer"}}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "cronjob",
                "cj",
                "--image=busybox",
                "--schedule=*/1 * * * *",
            ],
            &["-n", "demo", "get", "cronjob", "cj"],
            json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "cj", "namespace": "demo"},
            "spec": {
                "schedule": "*/1 * * * *",
                "jobTemplate": {"metadata": {"name": "cj"}, "spec": {"template": {
                    "metadata": {},
                    "spec": {
                        "containers": [{"name": "cj", "image": "busybox", "resources": {}}],
                        "restartPolicy": "OnFailure",
                    },
                }}},
            }}),
        ),
        (
            &[
                "create",
                "clusterrole",
                "r",
                "--verb=get",
                "--resource=pods",
            ],
            &["get", "clusterrole", "r"],
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "r"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
        ),
        (
            &["-n", "demo", "create", "serviceaccount", "sa"],
            &["-n", "demo", "get", "serviceaccount", "sa"],
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "sa", "namespace": "demo"}}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "quota",
                "q",
                "--hard=cpu=1,memory=1G,pods=2",
            ],
            &["-n", "demo", "get", "resourcequota", "q"],
            // Quantities are strings.
            json!({"spec": {"hard": {"cpu": "1", "memory": "1G", "pods": "2"}}}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "role",
                "reader",
                "--verb=get,list",
                "--resource=pods",
            ],
            &["-n", "demo", "get", "role", "reader"],
            json!({"kind": "Role", "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
            ]}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "rolebinding",
                "rb",
                "--role=reader",
                "--serviceaccount=demo:sa",
            ],
            &["-n", "demo", "get", "rolebinding", "rb"],
            json!({"kind": "RoleBinding",
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
                "subjects": [{"kind": "ServiceAccount", "name": "sa", "namespace": "demo"}]}),
        ),
        (
            &[
                "create",
                "clusterrolebinding",
                "crb",
                "--clusterrole=r",
                "--user=bob",
            ],
            &["get", "clusterrolebinding", "crb"],
            json!({"kind": "ClusterRoleBinding",
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "r"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"}]}),
        ),
        (
            &[
                "create",
                "clusterrole",
                "agg",
                "--aggregation-rule=team=web",
            ],
            &["get", "clusterrole", "agg"],
            // Go writes the nil `rules` slice (no omitempty) as null.
            json!({"rules": null,
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"team": "web"}}]}}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "poddisruptionbudget",
                "pdb",
                "--selector=app=web",
                "--min-available=50%",
            ],
            &["-n", "demo", "get", "poddisruptionbudget", "pdb"],
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}}),
        ),
        (
            &[
                "-n",
                "demo",
                "create",
                "ingress",
                "ing",
                "--class=nginx",
                "--rule=foo.com/bar*=svc:80,tls=cert",
            ],
            &["-n", "demo", "get", "ingress", "ing"],
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "spec": {
                "ingressClassName": "nginx",
                "rules": [{"host": "foo.com", "http": {"paths": [{
                    "path": "/bar",
                    "pathType": "Prefix",
                    "backend": {"service": {"name": "svc", "port": {"number": 80}}},
                }]}}],
                "tls": [{"hosts": ["foo.com"], "secretName": "cert"}],
            }}),
        ),
        (
            // kubectl copies the CronJob's template and sets an owner reference.
            &["-n", "demo", "create", "job", "manual", "--from=cronjob/cj"],
            &["-n", "demo", "get", "job", "manual"],
            json!({"metadata": {
                    "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
                    "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "cj", "controller": true}],
                },
                "spec": {"template": {"spec": {"restartPolicy": "OnFailure"}}}}),
        ),
    ];
    for (create, get, want) in cases {
        server.kubectl_ok(create);
        let mut args = get.to_vec();
        args.extend(["-o", "json"]);
        let got: Value = serde_json::from_str(&server.kubectl_ok(&args))
            .unwrap_or_else(|e| panic!("kubectl {}: not JSON: {e}", args.join(" ")));
        if let Err(path) = contains(&got, want) {
            panic!(
                "kubectl {}: stored object differs at {path}\n got  {}\n want {}",
                create.join(" "),
                serde_json::to_string_pretty(&got).unwrap(),
                serde_json::to_string_pretty(want).unwrap()
            );
        }
    }
}

#[test]
fn malformed_protobuf_is_a_bad_request() {
    let Some(server) = Server::start() else {
        return;
    };
    let (status, body) = server.post(
        "/api/v1/namespaces/default/configmaps",
        "application/vnd.kubernetes.protobuf",
        b"k8s\0\xff\xff\xff",
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"reason\":\"BadRequest\""), "{body}");
}

/// `want` is contained in `got`: every field of `want` is in `got` with an equal value (objects
/// recursively; lists element by element, with the same length). Leaves room for fields the
/// server adds (uid, resourceVersion, defaults). `Err` names the first differing path.
fn contains(got: &Value, want: &Value) -> Result<(), String> {
    match (got, want) {
        (Value::Object(got), Value::Object(want)) => {
            for (key, want) in want {
                let got = got.get(key).ok_or_else(|| format!(".{key} (missing)"))?;
                contains(got, want).map_err(|path| format!(".{key}{path}"))?;
            }
            Ok(())
        }
        (Value::Array(got), Value::Array(want)) if got.len() == want.len() => {
            for (i, (got, want)) in got.iter().zip(want).enumerate() {
                contains(got, want).map_err(|path| format!("[{i}]{path}"))?;
            }
            Ok(())
        }
        _ if got == want => Ok(()),
        _ => Err(format!(" (got {got}, want {want})")),
    }
}

// ---------------------------------------------------------------------------------------------
// Harness

/// A running `flotilla apiserver` on a temporary data directory; killed on drop, with its log
/// printed if the test failed.
struct Server {
    port: u16,
    child: Child,
    dir: TempDir,
}

impl Server {
    /// `None` (a skip) when kubectl is not installed, unless `CI=true`, where that fails.
    fn start() -> Option<Server> {
        let has_kubectl = std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|dir| dir.join("kubectl").is_file())
        });
        if !has_kubectl {
            let message = "kubectl not found on PATH: install it (`apt-get install -y kubectl`)";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
            eprintln!("skipping: {message}");
            return None;
        }
        // A free port can be taken between our probe and the server's bind: retry a few times.
        const ATTEMPTS: usize = 3;
        for attempt in 1..=ATTEMPTS {
            let dir = tempfile::Builder::new()
                .prefix("flotilla-imperative-")
                .tempdir()
                .expect("create a temporary directory");
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|l| l.local_addr())
                .expect("find a free port")
                .port();
            let log = File::create(dir.path().join("apiserver.log")).expect("create the log");
            let child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
                .args(["apiserver", "--listen", &format!("127.0.0.1:{port}")])
                .arg("--data-dir")
                .arg(dir.path().join("data"))
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .expect("start flotilla apiserver");
            let mut server = Server { port, child, dir };
            if server.wait_ready() {
                return Some(server);
            }
            let lost_port = server.child.try_wait().ok().flatten().is_some()
                && server.log().contains("cannot listen");
            let log = server.log();
            drop(server);
            assert!(
                lost_port && attempt < ATTEMPTS,
                "flotilla apiserver did not become ready in {READY_TIMEOUT:?}:\n{log}"
            );
        }
        unreachable!("the last attempt returns or fails")
    }

    /// Poll `/readyz` until it answers 200, the server exits, or the timeout passes.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + READY_TIMEOUT;
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return false;
            }
            if self.kubeconfig().exists() && self.request("GET", "/readyz", "", b"").0 == 200 {
                return true;
            }
            std::thread::sleep(POLL);
        }
        false
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("data").join("kubeconfig")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("apiserver.log")).unwrap_or_default()
    }

    /// Run kubectl against this server; its stdout, or a panic with stderr when it fails.
    fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.dir.path().join("kubectl.out");
        let err = self.dir.path().join("kubectl.err");
        let mut child = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(self.kubeconfig())
            .args(args)
            .env("KUBECACHEDIR", self.dir.path().join("kube-cache"))
            .stdin(Stdio::null())
            .stdout(File::create(&out).expect("kubectl stdout file"))
            .stderr(File::create(&err).expect("kubectl stderr file"))
            .spawn()
            .expect("run kubectl");
        let deadline = Instant::now() + KUBECTL_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for kubectl") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("kubectl {} took over {KUBECTL_TIMEOUT:?}", args.join(" "));
            }
            std::thread::sleep(POLL);
        };
        let stdout = std::fs::read_to_string(out).unwrap_or_default();
        let stderr = std::fs::read_to_string(err).unwrap_or_default();
        assert!(
            status.success(),
            "kubectl {} failed ({status}):\n{stderr}{stdout}",
            args.join(" ")
        );
        stdout
    }

    fn post(&self, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
        self.request("POST", path, content_type, body)
    }

    /// A one-shot HTTP/1.1 request; status 0 when the server cannot be reached.
    fn request(&self, method: &str, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
        let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) else {
            return (0, String::new());
        };
        let _ = stream.set_read_timeout(Some(KUBECTL_TIMEOUT));
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Content-Length: {}\r\n",
            body.len()
        );
        if !content_type.is_empty() {
            request.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        request.push_str("\r\n");
        let mut response = Vec::new();
        let sent = stream
            .write_all(request.as_bytes())
            .and_then(|()| stream.write_all(body));
        if sent
            .and_then(|()| stream.read_to_end(&mut response))
            .is_err()
        {
            return (0, String::new());
        }
        let response = String::from_utf8_lossy(&response);
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        (status, body.to_string())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- flotilla apiserver log ---\n{}", self.log());
        }
    }
}
