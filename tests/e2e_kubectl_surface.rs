//! End-to-end scenarios for kubectl's surface beyond plain CRUD: server-side tables, the scale
//! subresource, `describe`, `wait`, `rollout`, `edit`, `get all`, garbage collection, CRD
//! schemas and versions, server-side dry runs, managedFields, PartialObjectMetadata and the
//! imperative `kubectl create <kind>` commands (which send protobuf).
//!
//! Each scenario gets a fresh `flotilla apiserver` on the embedded store and is driven by the
//! real `kubectl`. The assertions are what kube-apiserver does, checked on what kubectl prints
//! (table columns and cells, messages) and on what is stored afterwards. Run with
//! `cargo test --test e2e_kubectl_surface -- --test-threads=2`.

mod support;

use std::io::Read;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Stdio;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{HttpResponse, Kubectl, Server, at, configmap, eventually};

/// Bound for anything the server should do promptly (a watch event, garbage collection).
const WAIT: Duration = Duration::from_secs(30);

/// Each scenario is one test on a fresh server with the embedded store.
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        /// The scenarios on the embedded store.
        mod embedded {
            $(
                #[test]
                fn $name() {
                    crate::support::run(crate::support::Backend::Embedded, crate::$name);
                }
            )*
        }
    };
}

scenarios!(
    deployment_tables,
    workload_tables,
    config_network_and_cluster_tables,
    crd_printer_columns,
    get_watch_prints_a_row_per_change,
    scale_subresource,
    describe_shows_events,
    wait_for_conditions_jsonpath_and_delete,
    rollout_status_restart_and_set_image,
    edit_with_a_scripted_editor,
    get_all_lists_the_all_category,
    garbage_collection,
    crd_schema_validation_pruning_and_defaults,
    crd_versions_are_converted,
    server_side_dry_run,
    managed_fields_across_apply_and_edit,
    partial_object_metadata,
    imperative_create_workloads,
    imperative_create_config_and_services,
);

// ---------------------------------------------------------------------------------------------
// Manifests

/// A Deployment labelled `app: <name>` with one container `app`.
fn deployment(name: &str, replicas: u32, image: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: app
        image: {image}
"
    )
}

/// A ConfigMap labelled `gc: <group>` that depends on the ConfigMap `owner` (uid `uid`).
fn dependent(name: &str, group: &str, owner: &str, uid: &str, block: bool, hold: bool) -> String {
    let finalizers = if hold {
        "  finalizers:\n  - example.com/hold\n"
    } else {
        ""
    };
    format!(
        "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}
  labels:
    gc: {group}
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: {owner}
    uid: {uid}
    blockOwnerDeletion: {block}
{finalizers}data:
  k: v
"
    )
}

/// A CRD with printer columns of every type, two of them only in `-o wide`.
const GIZMO_CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: gizmos
    singular: gizmo
    kind: Gizmo
    listKind: GizmoList
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - name: Size
      type: integer
      jsonPath: .spec.size
    - name: Color
      type: string
      jsonPath: .spec.color
    - name: Ready
      type: boolean
      jsonPath: .status.ready
    - name: Ratio
      type: number
      jsonPath: .spec.ratio
      priority: 1
    - name: Owner
      type: string
      jsonPath: .spec.owner.name
      priority: 1
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string}
              ratio: {type: number}
              owner:
                type: object
                properties:
                  name: {type: string}
          status:
            type: object
            properties:
              ready: {type: boolean}
";

/// A CRD with a scale subresource.
const REPLICATOR_CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: replicators.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: replicators
    singular: replicator
    kind: Replicator
    listKind: ReplicatorList
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.selector
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              replicas: {type: integer}
          status:
            type: object
            properties:
              replicas: {type: integer}
              selector: {type: string}
";

/// The schema both versions of the Gadget CRD serve: required fields, an enum, a pattern,
/// bounds, a default, and one subtree that keeps unknown fields.
const GADGET_SCHEMA: &str = "    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size, mode]
            properties:
              size: {type: integer, minimum: 1, maximum: 10}
              mode: {type: string, enum: [fast, slow]}
              code: {type: string, pattern: '^[a-z]+-[0-9]+$'}
              color: {type: string, default: blue}
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
";

/// The Gadget CRD: v1 is the storage version, v1beta1 is served too (no conversion webhook).
fn gadget_crd() -> String {
    format!(
        "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: gadgets
    singular: gadget
    kind: Gadget
    listKind: GadgetList
  versions:
  - name: v1
    served: true
    storage: true
{GADGET_SCHEMA}  - name: v1beta1
    served: true
    storage: false
{GADGET_SCHEMA}"
    )
}

/// A Gadget at `version` whose spec is the YAML mapping body `spec` (indented by 2).
fn gadget(version: &str, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: example.com/{version}\nkind: Gadget\nmetadata:\n  name: {name}\nspec:\n{spec}"
    )
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `kubectl get <what> -o jsonpath=<expr>`.
fn jsonpath(s: &Server, what: &[&str], expr: &str) -> String {
    let mut args = vec!["get"];
    args.extend(what);
    let expr = format!("jsonpath={expr}");
    args.extend(["-o", &expr]);
    s.kubectl_ok(&args)
}

fn uid(s: &Server, what: &[&str]) -> String {
    let uid = jsonpath(s, what, "{.metadata.uid}");
    assert!(!uid.is_empty(), "{what:?} has no uid");
    uid
}

/// `kubectl patch <resource> <name> --subresource=status --type=merge` with `{"status": status}`.
fn patch_status(s: &Server, resource: &str, name: &str, status: Value) {
    let patch = json!({ "status": status }).to_string();
    s.kubectl_ok(&[
        "patch",
        resource,
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        &patch,
    ]);
}

/// Create a CRD and wait (bounded) until it is Established, as a user would.
fn create_crd(s: &Server, name: &str, yaml: &str) {
    let out = s.create_yaml(&format!("{name}.yaml"), yaml);
    assert_eq!(
        out.trim(),
        format!("customresourcedefinition.apiextensions.k8s.io/{name} created")
    );
    s.kubectl_ok(&[
        "wait",
        "--for=condition=Established",
        &format!("crd/{name}"),
        "--timeout=30s",
    ]);
}

/// The managers (and their operations) in an object's managedFields.
fn managers(obj: &Value) -> Vec<(String, String)> {
    obj["metadata"]["managedFields"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    (
                        e["manager"].as_str().unwrap_or_default().to_owned(),
                        e["operation"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `manager`'s entry owns the field at `pointer` in fieldsV1 (e.g. `/f:data/f:color`).
fn owns(obj: &Value, manager: &str, pointer: &str) -> bool {
    obj["metadata"]["managedFields"]
        .as_array()
        .is_some_and(|entries| {
            entries.iter().any(|e| {
                e["manager"] == manager
                    && e.get("fieldsV1").and_then(|f| f.pointer(pointer)).is_some()
            })
        })
}

/// Run kubectl with extra environment variables (e.g. `KUBE_EDITOR`), bounded by `WAIT`.
fn kubectl_env(s: &Server, env: &[(&str, &str)], args: &[&str]) -> Kubectl {
    let mut child = s
        .kubectl_command(args)
        .envs(env.iter().copied())
        // kubectl edit keeps copies of failed edits in TMPDIR: keep them in the test directory.
        .env("TMPDIR", s.dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("failed to run kubectl: {e}"));
    let stdout = child.stdout.take().map(read_to_end);
    let stderr = child.stderr.take().map(read_to_end);
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for kubectl") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kubectl {} did not finish within {WAIT:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Kubectl {
        args: args.iter().map(|a| a.to_string()).collect(),
        status,
        stdout: joined(stdout),
        stderr: joined(stderr),
    }
}

/// Read a pipe to its end on a thread, so a chatty child never blocks on a full pipe.
fn read_to_end(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn joined(reader: Option<JoinHandle<String>>) -> String {
    reader.and_then(|h| h.join().ok()).unwrap_or_default()
}

/// A GET with a chosen `Accept` header.
fn get_with_accept(port: u16, path: &str, accept: &str) -> HttpResponse {
    support::http_accepting(port, "GET", path, accept, None, &[])
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// Whether `s` is how kubectl prints an age or a duration (`0s`, `5m2s`, `3y120d`).
fn is_age(s: &str) -> bool {
    let mut digits = 0;
    let mut units = 0;
    for c in s.chars() {
        match c {
            '0'..='9' => digits += 1,
            's' | 'm' | 'h' | 'd' | 'y' if digits > 0 => {
                digits = 0;
                units += 1;
            }
            _ => return false,
        }
    }
    digits == 0 && units > 0
}

/// Whether `s` is an RFC 3339 UTC timestamp with seconds precision (`2024-01-01T00:00:00Z`).
fn is_timestamp(s: &str) -> bool {
    s.len() == 20
        && s.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == 'Z',
            _ => c.is_ascii_digit(),
        })
}

/// Whether a printed cell matches an expected one: a literal, or `{age}`, `{ipv4}`, `{time}`,
/// `{any}`.
fn cell_matches(pattern: &str, cell: &str) -> bool {
    match pattern {
        "{age}" => is_age(cell),
        "{ipv4}" => cell.parse::<Ipv4Addr>().is_ok(),
        "{time}" => is_timestamp(cell),
        "{any}" => true,
        _ => pattern == cell,
    }
}

/// A table as kubectl prints it, cut into cells at the header's column offsets, so cells with
/// spaces (`cpu: <unknown>/80%`, an event message) and empty cells stay where they belong.
/// kubectl's tabwriter pads columns by at least 3 spaces and header names hold single spaces
/// (`LAST SEEN`, `PORT(S)`), so a column starts after two or more spaces.
#[derive(Debug)]
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn parse(text: &str) -> Table {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let head = lines.next().unwrap_or_default();
        let bytes = head.as_bytes();
        let starts: Vec<usize> = (0..bytes.len())
            .filter(|&i| {
                bytes[i] != b' '
                    && (i == 0 || (i >= 2 && bytes[i - 1] == b' ' && bytes[i - 2] == b' '))
            })
            .collect();
        let cut = |line: &str| -> Vec<String> {
            starts
                .iter()
                .enumerate()
                .map(|(n, &start)| {
                    let end = starts.get(n + 1).copied().unwrap_or(usize::MAX);
                    let end = end.min(line.len());
                    line.get(start.min(end)..end)
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                })
                .collect()
        };
        Table {
            header: cut(head),
            rows: lines.map(cut).collect(),
        }
    }

    fn has_row(&self, expected: &[&str]) -> bool {
        self.rows.iter().any(|row| {
            row.len() == expected.len() && expected.iter().zip(row).all(|(p, c)| cell_matches(p, c))
        })
    }
}

/// Problems found so far; reported together so one run shows every wrong table.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    /// `kubectl <args>` prints `header` and exactly `rows` (in any order).
    fn table(&mut self, s: &Server, args: &[&str], header: &[&str], rows: &[&[&str]]) {
        self.table_with(s, args, header, rows, true);
    }

    /// `kubectl <args>` prints `header` and at least `rows`.
    fn table_contains(&mut self, s: &Server, args: &[&str], header: &[&str], rows: &[&[&str]]) {
        self.table_with(s, args, header, rows, false);
    }

    fn table_with(
        &mut self,
        s: &Server,
        args: &[&str],
        header: &[&str],
        rows: &[&[&str]],
        exact: bool,
    ) {
        let out = s.kubectl(args);
        if !out.success() {
            self.0.push(format!("kubectl failed:\n{out}"));
            return;
        }
        let table = Table::parse(&out.stdout);
        let mut problems = Vec::new();
        if table.header != header {
            problems.push(format!("header {:?}, want {header:?}", table.header));
        }
        if exact && table.rows.len() != rows.len() {
            problems.push(format!("{} rows, want {}", table.rows.len(), rows.len()));
        }
        for row in rows {
            if !table.has_row(row) {
                problems.push(format!("no row {row:?}"));
            }
        }
        if !problems.is_empty() {
            self.0.push(format!(
                "$ kubectl {}\n{}\n--- printed ---\n{}",
                args.join(" "),
                problems.join("\n"),
                out.stdout
            ));
        }
    }

    fn finish(self) {
        assert!(
            self.0.is_empty(),
            "{} problem(s):\n\n{}",
            self.0.len(),
            self.0.join("\n\n")
        );
    }
}

/// The whitespace-separated words of one line (watch output is not aligned across lines).
fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

fn words_match(line: &str, expected: &[&str]) -> bool {
    let words = words(line);
    words.len() == expected.len() && expected.iter().zip(&words).all(|(p, c)| cell_matches(p, c))
}

// ---------------------------------------------------------------------------------------------
// Scenarios: server-side tables

/// `kubectl get deploy` prints kube's Deployment columns with the values of the written status,
/// and `-o wide`, `-A`, `--show-labels` and `-L` add their columns.
fn deployment_tables(s: &Server) {
    let web = deployment("web", 3, "nginx:1.25").replace(
        "  labels:\n    app: web\nspec:",
        "  labels:\n    app: web\n    tier: frontend\nspec:",
    );
    s.create_yaml("web.yaml", &web);
    s.create_yaml(
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\n",
    );
    let api = s.write_file("api.yaml", &deployment("api", 1, "httpd:2.4"));
    s.kubectl_ok(&["create", "-f", path_str(&api), "-n", "team-b"]);

    let mut f = Findings::default();
    const HEADER: &[&str] = &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"];
    // Before any status: nothing ready, updated or available.
    f.table(
        s,
        &["get", "deploy"],
        HEADER,
        &[&["web", "0/3", "0", "0", "{age}"]],
    );

    patch_status(
        s,
        "deploy",
        "web",
        json!({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3,
               "readyReplicas": 2, "availableReplicas": 2}),
    );
    f.table(
        s,
        &["get", "deploy"],
        HEADER,
        &[&["web", "2/3", "3", "2", "{age}"]],
    );
    f.table(
        s,
        &["get", "deploy", "web"],
        HEADER,
        &[&["web", "2/3", "3", "2", "{age}"]],
    );
    f.table(
        s,
        &["get", "deploy", "web", "-o", "wide"],
        &[
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR",
        ],
        &[&[
            "web",
            "2/3",
            "3",
            "2",
            "{age}",
            "app",
            "nginx:1.25",
            "app=web",
        ]],
    );
    f.table_contains(
        s,
        &["get", "deploy", "-A"],
        &[
            "NAMESPACE",
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
        ],
        &[
            &["default", "web", "2/3", "3", "2", "{age}"],
            &["team-b", "api", "0/1", "0", "0", "{age}"],
        ],
    );
    f.table(
        s,
        &["get", "deploy", "web", "--show-labels"],
        &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "LABELS"],
        &[&["web", "2/3", "3", "2", "{age}", "app=web,tier=frontend"]],
    );
    f.table(
        s,
        &["get", "deploy", "-L", "app", "-L", "tier"],
        &[
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "APP",
            "TIER",
        ],
        &[&["web", "2/3", "3", "2", "{age}", "web", "frontend"]],
    );
    f.table(
        s,
        &[
            "get",
            "deploy",
            "-n",
            "team-b",
            "-L",
            "app",
            "--show-labels",
        ],
        &[
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "APP",
            "LABELS",
        ],
        &[&["api", "0/1", "0", "0", "{age}", "api", "app=api"]],
    );
    f.finish();
}

/// Pods, ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs print kube's columns.
fn workload_tables(s: &Server) {
    s.create_yaml(
        "pod.yaml",
        "\
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  labels:
    app: web
spec:
  nodeName: node-1
  containers:
  - name: app
    image: nginx:1.25
",
    );
    s.create_yaml(
        "rs.yaml",
        "\
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-abc
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
      pod-template-hash: abc
  template:
    metadata:
      labels:
        app: web
        pod-template-hash: abc
    spec:
      containers:
      - name: app
        image: nginx:1.25
",
    );
    s.create_yaml(
        "sts.yaml",
        "\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 2
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
      - name: postgres
        image: postgres:16
",
    );
    s.create_yaml(
        "ds.yaml",
        "\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      nodeSelector:
        disk: ssd
      containers:
      - name: agent
        image: fluentd:1.16
",
    );
    s.create_yaml(
        "job.yaml",
        "\
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: pi
        image: perl:5.34
        command: [perl, -e, print 1]
",
    );
    s.create_yaml(
        "cronjob.yaml",
        "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: '@hourly'
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: job
            image: busybox:1.36
",
    );

    let mut f = Findings::default();

    // Pods: kube sets phase Pending on create.
    const POD: &[&str] = &["NAME", "READY", "STATUS", "RESTARTS", "AGE"];
    f.table(
        s,
        &["get", "pods"],
        POD,
        &[&["web-0", "0/1", "Pending", "0", "{age}"]],
    );
    patch_status(
        s,
        "pod",
        "web-0",
        json!({
            "phase": "Running",
            "podIP": "10.1.0.5",
            "containerStatuses": [{
                "name": "app", "ready": true, "restartCount": 2, "started": true,
                "image": "nginx:1.25", "imageID": "",
                "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}
            }]
        }),
    );
    f.table(
        s,
        &["get", "pods"],
        POD,
        &[&["web-0", "1/1", "Running", "2", "{age}"]],
    );
    f.table(
        s,
        &["get", "pod", "web-0", "-o", "wide"],
        &[
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES",
        ],
        &[&[
            "web-0", "1/1", "Running", "2", "{age}", "10.1.0.5", "node-1", "<none>", "<none>",
        ]],
    );

    // ReplicaSets: DESIRED is the spec, CURRENT and READY the status.
    const RS: &[&str] = &["NAME", "DESIRED", "CURRENT", "READY", "AGE"];
    f.table(
        s,
        &["get", "rs"],
        RS,
        &[&["web-abc", "3", "0", "0", "{age}"]],
    );
    patch_status(
        s,
        "rs",
        "web-abc",
        json!({"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 2,
               "availableReplicas": 2}),
    );
    f.table(
        s,
        &["get", "rs"],
        RS,
        &[&["web-abc", "3", "3", "2", "{age}"]],
    );
    f.table(
        s,
        &["get", "rs", "web-abc", "-o", "wide"],
        &[
            "NAME",
            "DESIRED",
            "CURRENT",
            "READY",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR",
        ],
        &[&[
            "web-abc",
            "3",
            "3",
            "2",
            "{age}",
            "app",
            "nginx:1.25",
            "app=web,pod-template-hash=abc",
        ]],
    );

    // StatefulSets: READY is readyReplicas/spec.replicas.
    f.table(
        s,
        &["get", "sts"],
        &["NAME", "READY", "AGE"],
        &[&["db", "0/2", "{age}"]],
    );
    patch_status(
        s,
        "sts",
        "db",
        json!({"replicas": 2, "readyReplicas": 1, "currentReplicas": 2, "updatedReplicas": 2,
               "availableReplicas": 1}),
    );
    f.table(
        s,
        &["get", "sts"],
        &["NAME", "READY", "AGE"],
        &[&["db", "1/2", "{age}"]],
    );
    f.table(
        s,
        &["get", "sts", "db", "-o", "wide"],
        &["NAME", "READY", "AGE", "CONTAINERS", "IMAGES"],
        &[&["db", "1/2", "{age}", "postgres", "postgres:16"]],
    );

    // DaemonSets.
    const DS: &[&str] = &[
        "NAME",
        "DESIRED",
        "CURRENT",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "NODE SELECTOR",
        "AGE",
    ];
    f.table(
        s,
        &["get", "ds"],
        DS,
        &[&["agent", "0", "0", "0", "0", "0", "disk=ssd", "{age}"]],
    );
    patch_status(
        s,
        "ds",
        "agent",
        json!({"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
               "updatedNumberScheduled": 3, "numberAvailable": 2, "numberMisscheduled": 0}),
    );
    f.table(
        s,
        &["get", "ds"],
        DS,
        &[&["agent", "3", "3", "2", "3", "2", "disk=ssd", "{age}"]],
    );
    f.table(
        s,
        &["get", "ds", "agent", "-o", "wide"],
        &[
            "NAME",
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "NODE SELECTOR",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR",
        ],
        &[&[
            "agent",
            "3",
            "3",
            "2",
            "3",
            "2",
            "disk=ssd",
            "{age}",
            "agent",
            "fluentd:1.16",
            "app=agent",
        ]],
    );

    // Jobs: no start time yet, so no DURATION; then a running job measures from its start.
    const JOB: &[&str] = &["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"];
    f.table(
        s,
        &["get", "jobs"],
        JOB,
        &[&["pi", "Running", "0/1", "", "{age}"]],
    );
    patch_status(
        s,
        "job",
        "pi",
        json!({"startTime": "2024-01-01T00:00:00Z", "active": 1}),
    );
    f.table(
        s,
        &["get", "jobs"],
        JOB,
        &[&["pi", "Running", "0/1", "{age}", "{age}"]],
    );
    // kube generates the selector of a Job (manualSelector unset) from its uid.
    let job_uid = uid(s, &["job", "pi"]);
    f.table(
        s,
        &["get", "job", "pi", "-o", "wide"],
        &[
            "NAME",
            "STATUS",
            "COMPLETIONS",
            "DURATION",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR",
        ],
        &[&[
            "pi",
            "Running",
            "0/1",
            "{age}",
            "{age}",
            "pi",
            "perl:5.34",
            &format!("batch.kubernetes.io/controller-uid={job_uid}"),
        ]],
    );

    // CronJobs: kube defaults suspend to false.
    f.table(
        s,
        &["get", "cronjobs"],
        &[
            "NAME",
            "SCHEDULE",
            "TIMEZONE",
            "SUSPEND",
            "ACTIVE",
            "LAST SCHEDULE",
            "AGE",
        ],
        &[&[
            "nightly", "@hourly", "<none>", "False", "0", "<none>", "{age}",
        ]],
    );
    f.table(
        s,
        &["get", "cronjob", "nightly", "-o", "wide"],
        &[
            "NAME",
            "SCHEDULE",
            "TIMEZONE",
            "SUSPEND",
            "ACTIVE",
            "LAST SCHEDULE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR",
        ],
        &[&[
            "nightly",
            "@hourly",
            "<none>",
            "False",
            "0",
            "<none>",
            "{age}",
            "job",
            "busybox:1.36",
            "<none>",
        ]],
    );
    f.finish();
}

/// Services, ConfigMaps, Secrets, Namespaces, Nodes, Events, Ingresses, HPAs, Leases and CRDs
/// print kube's columns.
fn config_network_and_cluster_tables(s: &Server) {
    s.create_yaml(
        "svc.yaml",
        "\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: db
spec:
  clusterIP: None
  selector:
    app: db
  ports:
  - port: 5432
",
    );
    s.create_yaml(
        "cm.yaml",
        "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  a: '1'
  b: '2'
binaryData:
  c: AAEC
",
    );
    s.create_yaml(
        "secret.yaml",
        "\
apiVersion: v1
kind: Secret
metadata:
  name: creds
data:
  user: YWRtaW4=
stringData:
  password: hunter2
",
    );
    s.create_yaml(
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\n",
    );
    s.create_yaml(
        "node.yaml",
        "\
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels:
    node-role.kubernetes.io/worker: ''
",
    );
    s.create_yaml(
        "events.yaml",
        "\
apiVersion: v1
kind: Event
metadata:
  name: web.scaled
involvedObject:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: default
reason: ScalingReplicaSet
message: Scaled up replica set web-abc to 3
type: Normal
source:
  component: deployment-controller
firstTimestamp: '2024-01-01T00:00:00Z'
lastTimestamp: '2024-01-01T00:00:00Z'
count: 1
---
apiVersion: events.k8s.io/v1
kind: Event
metadata:
  name: web-0.backoff
regarding:
  apiVersion: v1
  kind: Pod
  name: web-0
  namespace: default
reason: BackOff
note: Back-off restarting failed container
type: Warning
action: Restarting
reportingController: kubelet
reportingInstance: node-1
eventTime: '2024-01-01T00:00:00.000000Z'
",
    );
    s.create_yaml(
        "ingress.yaml",
        "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: nginx
  rules:
  - host: example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
",
    );
    s.create_yaml(
        "hpa.yaml",
        "\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 2
  maxReplicas: 5
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 80
",
    );
    s.create_yaml(
        "lease.yaml",
        "\
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: leader
spec:
  holderIdentity: node-1
  leaseDurationSeconds: 15
",
    );
    create_crd(s, "gizmos.example.com", GIZMO_CRD);

    let mut f = Findings::default();

    // ConfigMaps count data and binaryData; Secrets count data after stringData is merged in.
    f.table(
        s,
        &["get", "cm", "settings"],
        &["NAME", "DATA", "AGE"],
        &[&["settings", "3", "{age}"]],
    );
    f.table(
        s,
        &["get", "secret", "creds"],
        &["NAME", "TYPE", "DATA", "AGE"],
        &[&["creds", "Opaque", "2", "{age}"]],
    );

    // Services: kube allocates a cluster IP; a headless Service prints None.
    const SVC: &[&str] = &[
        "NAME",
        "TYPE",
        "CLUSTER-IP",
        "EXTERNAL-IP",
        "PORT(S)",
        "AGE",
    ];
    f.table(
        s,
        &["get", "svc", "web", "db"],
        SVC,
        &[
            &["web", "ClusterIP", "{ipv4}", "<none>", "80/TCP", "{age}"],
            &["db", "ClusterIP", "None", "<none>", "5432/TCP", "{age}"],
        ],
    );
    f.table(
        s,
        &["get", "svc", "db", "-o", "wide"],
        &[
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE",
            "SELECTOR",
        ],
        &[&[
            "db",
            "ClusterIP",
            "None",
            "<none>",
            "5432/TCP",
            "{age}",
            "app=db",
        ]],
    );

    // Namespaces.
    f.table(
        s,
        &["get", "ns", "team-b"],
        &["NAME", "STATUS", "AGE"],
        &[&["team-b", "Active", "{age}"]],
    );

    // Nodes: no conditions yet is Unknown; Ready once the status says so; cordoned adds
    // SchedulingDisabled.
    const NODE: &[&str] = &["NAME", "STATUS", "ROLES", "AGE", "VERSION"];
    f.table(
        s,
        &["get", "nodes"],
        NODE,
        &[&["node-1", "Unknown", "worker", "{age}", ""]],
    );
    patch_status(
        s,
        "node",
        "node-1",
        json!({
            "conditions": [{
                "type": "Ready", "status": "True", "reason": "KubeletReady",
                "message": "kubelet is posting ready status",
                "lastHeartbeatTime": "2024-01-01T00:00:00Z",
                "lastTransitionTime": "2024-01-01T00:00:00Z"
            }],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
            "nodeInfo": {
                "kubeletVersion": "v1.33.0", "osImage": "Flatcar",
                "kernelVersion": "6.1.0", "containerRuntimeVersion": "containerd://1.7.0",
                "machineID": "", "systemUUID": "", "bootID": "", "kubeProxyVersion": "",
                "operatingSystem": "linux", "architecture": "amd64"
            }
        }),
    );
    f.table(
        s,
        &["get", "nodes"],
        NODE,
        &[&["node-1", "Ready", "worker", "{age}", "v1.33.0"]],
    );
    f.table(
        s,
        &["get", "node", "node-1", "-o", "wide"],
        &[
            "NAME",
            "STATUS",
            "ROLES",
            "AGE",
            "VERSION",
            "INTERNAL-IP",
            "EXTERNAL-IP",
            "OS-IMAGE",
            "KERNEL-VERSION",
            "CONTAINER-RUNTIME",
        ],
        &[&[
            "node-1",
            "Ready",
            "worker",
            "{age}",
            "v1.33.0",
            "10.0.0.1",
            "<none>",
            "Flatcar",
            "6.1.0",
            "containerd://1.7.0",
        ]],
    );
    let out = s.kubectl_ok(&["cordon", "node-1"]);
    f.check(out.trim() == "node/node-1 cordoned", || {
        format!("kubectl cordon node-1 printed {out:?}")
    });
    f.table(
        s,
        &["get", "nodes"],
        NODE,
        &[&[
            "node-1",
            "Ready,SchedulingDisabled",
            "worker",
            "{age}",
            "v1.33.0",
        ]],
    );

    // Events: both APIs' events in one list (one storage), in the core columns.
    const EVENT: &[&str] = &["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"];
    let event_rows: &[&[&str]] = &[
        &[
            "{age}",
            "Normal",
            "ScalingReplicaSet",
            "deployment/web",
            "Scaled up replica set web-abc to 3",
        ],
        &[
            "{age}",
            "Warning",
            "BackOff",
            "pod/web-0",
            "Back-off restarting failed container",
        ],
    ];
    f.table(s, &["get", "events"], EVENT, event_rows);
    f.table(s, &["get", "events.events.k8s.io"], EVENT, event_rows);

    // Ingresses: the ADDRESS comes from the load balancer status.
    const INGRESS: &[&str] = &["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"];
    f.table(
        s,
        &["get", "ingress", "web"],
        INGRESS,
        &[&["web", "nginx", "example.com", "", "80", "{age}"]],
    );
    patch_status(
        s,
        "ingress",
        "web",
        json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}),
    );
    f.table(
        s,
        &["get", "ingress", "web"],
        INGRESS,
        &[&["web", "nginx", "example.com", "203.0.113.10", "80", "{age}"]],
    );

    // HorizontalPodAutoscalers (autoscaling/v2 is the preferred version).
    f.table(
        s,
        &["get", "hpa", "web"],
        &[
            "NAME",
            "REFERENCE",
            "TARGETS",
            "MINPODS",
            "MAXPODS",
            "REPLICAS",
            "AGE",
        ],
        &[&[
            "web",
            "Deployment/web",
            "cpu: <unknown>/80%",
            "2",
            "5",
            "0",
            "{age}",
        ]],
    );

    // Leases.
    f.table(
        s,
        &["get", "lease", "leader"],
        &["NAME", "HOLDER", "AGE"],
        &[&["leader", "node-1", "{age}"]],
    );

    // CustomResourceDefinitions: the default columns, creation time as a timestamp.
    f.table(
        s,
        &["get", "crd", "gizmos.example.com"],
        &["NAME", "CREATED AT"],
        &[&["gizmos.example.com", "{time}"]],
    );
    f.finish();
}

/// A CRD's additionalPrinterColumns are the table, priority-1 columns only in `-o wide`.
fn crd_printer_columns(s: &Server) {
    create_crd(s, "gizmos.example.com", GIZMO_CRD);
    s.create_yaml(
        "g1.yaml",
        "\
apiVersion: example.com/v1
kind: Gizmo
metadata:
  name: g1
  labels:
    team: red
spec:
  size: 3
  color: blue
  ratio: 0.5
  owner:
    name: alice
",
    );
    let mut f = Findings::default();
    const HEADER: &[&str] = &["NAME", "SIZE", "COLOR", "READY", "AGE"];
    patch_status(s, "gizmo", "g1", json!({"ready": true}));
    f.table(
        s,
        &["get", "gizmos"],
        HEADER,
        &[&["g1", "3", "blue", "true", "{age}"]],
    );
    f.table(
        s,
        &["get", "gizmo", "g1", "-o", "wide"],
        &["NAME", "SIZE", "COLOR", "READY", "RATIO", "OWNER", "AGE"],
        &[&["g1", "3", "blue", "true", "0.5", "alice", "{age}"]],
    );
    f.table_contains(
        s,
        &["get", "gizmos", "-A", "--show-labels"],
        &[
            "NAMESPACE",
            "NAME",
            "SIZE",
            "COLOR",
            "READY",
            "AGE",
            "LABELS",
        ],
        &[&["default", "g1", "3", "blue", "true", "{age}", "team=red"]],
    );
    f.table(
        s,
        &["get", "gizmos", "-L", "team"],
        &["NAME", "SIZE", "COLOR", "READY", "AGE", "TEAM"],
        &[&["g1", "3", "blue", "true", "{age}", "red"]],
    );
    f.finish();
}

/// `kubectl get -w` prints the table once and then exactly one row per change.
fn get_watch_prints_a_row_per_change(s: &Server) {
    s.create_yaml(
        "w1.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w1\n  labels:\n    watch: me\ndata:\n  a: '1'\n",
    );
    let mut watch = s.spawn_kubectl(&["get", "cm", "-l", "watch=me", "-w"]);
    let line = watch.next_stdout_line(WAIT);
    assert!(words_match(&line, &["NAME", "DATA", "AGE"]), "{line}");
    let line = watch.next_stdout_line(WAIT);
    assert!(words_match(&line, &["w1", "1", "{age}"]), "{line}");

    s.kubectl_ok(&[
        "patch",
        "cm",
        "w1",
        "--type=merge",
        "-p",
        r#"{"data":{"b":"2"}}"#,
    ]);
    let line = watch.next_stdout_line(WAIT);
    assert!(words_match(&line, &["w1", "2", "{age}"]), "{line}");
    s.kubectl_ok(&[
        "patch",
        "cm",
        "w1",
        "--type=merge",
        "-p",
        r#"{"data":{"c":"3"}}"#,
    ]);
    let line = watch.next_stdout_line(WAIT);
    assert!(words_match(&line, &["w1", "3", "{age}"]), "{line}");
    s.kubectl_ok(&["delete", "cm", "w1"]);
    let line = watch.next_stdout_line(WAIT);
    assert!(
        words_match(&line, &["w1", "3", "{age}"]),
        "the deletion prints the last state: {line}"
    );
    drop(watch);

    // A Deployment's watch with --output-watch-events: the EVENT column and the status cells.
    s.create_yaml("web.yaml", &deployment("web", 3, "nginx:1.25"));
    let mut watch = s.spawn_kubectl(&["get", "deploy", "web", "-w", "--output-watch-events"]);
    let line = watch.next_stdout_line(WAIT);
    assert!(
        words_match(
            &line,
            &["EVENT", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
        ),
        "{line}"
    );
    let line = watch.next_stdout_line(WAIT);
    assert!(
        words_match(&line, &["ADDED", "web", "0/3", "0", "0", "{age}"]),
        "{line}"
    );
    patch_status(
        s,
        "deploy",
        "web",
        json!({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3,
               "readyReplicas": 2, "availableReplicas": 2}),
    );
    let line = watch.next_stdout_line(WAIT);
    assert!(
        words_match(&line, &["MODIFIED", "web", "2/3", "3", "2", "{age}"]),
        "{line}"
    );
    s.kubectl_ok(&["delete", "deploy", "web"]);
    let line = watch.next_stdout_line(WAIT);
    assert!(
        words_match(&line, &["DELETED", "web", "2/3", "3", "2", "{age}"]),
        "{line}"
    );
}

// ---------------------------------------------------------------------------------------------
// Scenarios: scale, describe, wait, rollout, edit, get all

/// `kubectl scale` through the scale subresource of Deployments, StatefulSets, ReplicaSets and
/// a CRD that declares one; `--current-replicas` is a precondition.
fn scale_subresource(s: &Server) {
    s.create_yaml("web.yaml", &deployment("web", 3, "nginx:1.25"));
    let out = s.kubectl_ok(&["scale", "deploy", "web", "--replicas=5"]);
    assert_eq!(out.trim(), "deployment.apps/web scaled");
    assert_eq!(jsonpath(s, &["deploy", "web"], "{.spec.replicas}"), "5");
    assert_eq!(
        jsonpath(s, &["deploy", "web"], "{.metadata.generation}"),
        "2",
        "scaling changes the spec, so the generation"
    );

    let out = s.kubectl_ok(&[
        "scale",
        "deploy",
        "web",
        "--current-replicas=5",
        "--replicas=2",
    ]);
    assert_eq!(out.trim(), "deployment.apps/web scaled");
    assert_eq!(jsonpath(s, &["deploy", "web"], "{.spec.replicas}"), "2");

    let err = s.kubectl_err(&[
        "scale",
        "deploy",
        "web",
        "--current-replicas=9",
        "--replicas=1",
    ]);
    assert!(err.contains("Expected replicas to be 9, was 2"), "{err}");
    assert_eq!(jsonpath(s, &["deploy", "web"], "{.spec.replicas}"), "2");

    // The Scale object itself (autoscaling/v1), its selector as a string.
    patch_status(
        s,
        "deploy",
        "web",
        json!({"replicas": 2, "readyReplicas": 1}),
    );
    let scale: Value = serde_json::from_str(&s.kubectl_ok(&[
        "get",
        "--raw",
        "/apis/apps/v1/namespaces/default/deployments/web/scale",
    ]))
    .expect("Scale is JSON");
    assert_eq!(scale["kind"], "Scale", "{scale:#}");
    assert_eq!(scale["apiVersion"], "autoscaling/v1", "{scale:#}");
    assert_eq!(scale["metadata"]["name"], "web", "{scale:#}");
    assert!(
        scale["metadata"]["resourceVersion"]
            .as_str()
            .is_some_and(|rv| !rv.is_empty()),
        "{scale:#}"
    );
    assert_eq!(scale["spec"]["replicas"], 2, "{scale:#}");
    assert_eq!(scale["status"]["replicas"], 2, "{scale:#}");
    assert_eq!(scale["status"]["selector"], "app=web", "{scale:#}");

    // A dry run changes nothing.
    let out = s.kubectl_ok(&["scale", "deploy", "web", "--replicas=7", "--dry-run=server"]);
    assert_eq!(out.trim(), "deployment.apps/web scaled (server dry run)");
    assert_eq!(jsonpath(s, &["deploy", "web"], "{.spec.replicas}"), "2");

    // StatefulSets and ReplicaSets.
    s.create_yaml(
        "sts.yaml",
        "\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  replicas: 1
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
      - name: postgres
        image: postgres:16
",
    );
    let out = s.kubectl_ok(&["scale", "statefulset", "db", "--replicas=3"]);
    assert_eq!(out.trim(), "statefulset.apps/db scaled");
    assert_eq!(jsonpath(s, &["sts", "db"], "{.spec.replicas}"), "3");
    let rs = deployment("web-abc", 1, "nginx:1.25").replace("kind: Deployment", "kind: ReplicaSet");
    s.create_yaml("rs.yaml", &rs);
    let out = s.kubectl_ok(&["scale", "rs", "web-abc", "--replicas=4"]);
    assert_eq!(out.trim(), "replicaset.apps/web-abc scaled");
    assert_eq!(jsonpath(s, &["rs", "web-abc"], "{.spec.replicas}"), "4");

    // A custom resource with a scale subresource.
    create_crd(s, "replicators.example.com", REPLICATOR_CRD);
    s.create_yaml(
        "r1.yaml",
        "apiVersion: example.com/v1\nkind: Replicator\nmetadata:\n  name: r1\nspec:\n  replicas: 1\n",
    );
    patch_status(
        s,
        "replicator",
        "r1",
        json!({"replicas": 1, "selector": "app=r1"}),
    );
    let out = s.kubectl_ok(&["scale", "replicator", "r1", "--replicas=4"]);
    assert_eq!(out.trim(), "replicator.example.com/r1 scaled");
    assert_eq!(jsonpath(s, &["replicator", "r1"], "{.spec.replicas}"), "4");
    let out = s.kubectl_ok(&[
        "scale",
        "replicator",
        "r1",
        "--current-replicas=4",
        "--replicas=2",
    ]);
    assert_eq!(out.trim(), "replicator.example.com/r1 scaled");
    let err = s.kubectl_err(&[
        "scale",
        "replicator",
        "r1",
        "--current-replicas=9",
        "--replicas=1",
    ]);
    assert!(err.contains("Expected replicas to be 9, was 2"), "{err}");
    let scale: Value = serde_json::from_str(&s.kubectl_ok(&[
        "get",
        "--raw",
        "/apis/example.com/v1/namespaces/default/replicators/r1/scale",
    ]))
    .expect("Scale is JSON");
    assert_eq!(scale["kind"], "Scale", "{scale:#}");
    assert_eq!(scale["apiVersion"], "autoscaling/v1", "{scale:#}");
    assert_eq!(scale["spec"]["replicas"], 2, "{scale:#}");
    assert_eq!(scale["status"]["replicas"], 1, "{scale:#}");
    assert_eq!(scale["status"]["selector"], "app=r1", "{scale:#}");
}

/// `kubectl describe deploy` lists the events about that Deployment (and no others), from both
/// the core and the events.k8s.io API.
fn describe_shows_events(s: &Server) {
    s.create_yaml("web.yaml", &deployment("web", 3, "nginx:1.25"));
    s.create_yaml("other.yaml", &deployment("other", 1, "nginx:1.25"));
    let web = uid(s, &["deploy", "web"]);
    let other = uid(s, &["deploy", "other"]);
    let out = s.create_yaml(
        "events.yaml",
        &format!(
            "\
apiVersion: v1
kind: Event
metadata:
  name: web.scaled
involvedObject:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: default
  uid: {web}
reason: ScalingReplicaSet
message: Scaled up replica set web-abc to 3
type: Normal
source:
  component: deployment-controller
firstTimestamp: '2024-01-01T00:00:00Z'
lastTimestamp: '2024-01-01T00:00:00Z'
count: 1
---
apiVersion: events.k8s.io/v1
kind: Event
metadata:
  name: web.rollout
regarding:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: default
  uid: {web}
reason: RolloutStarted
note: Rolling out revision 2
type: Normal
action: Rollout
reportingController: example.com/rollout-controller
reportingInstance: rollout-controller-0
eventTime: '2024-01-01T00:00:00.000000Z'
---
apiVersion: v1
kind: Event
metadata:
  name: other.scaled
involvedObject:
  apiVersion: apps/v1
  kind: Deployment
  name: other
  namespace: default
  uid: {other}
reason: ScalingReplicaSet
message: Scaled up replica set other-xyz to 1
type: Normal
source:
  component: deployment-controller
firstTimestamp: '2024-01-01T00:00:00Z'
lastTimestamp: '2024-01-01T00:00:00Z'
count: 1
"
        ),
    );
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "event/web.scaled created",
            "event.events.k8s.io/web.rollout created",
            "event/other.scaled created"
        ]
    );

    let out = s.kubectl_ok(&["describe", "deploy", "web"]);
    assert!(
        out.lines()
            .next()
            .is_some_and(|l| words(l) == ["Name:", "web"]),
        "{out}"
    );
    let events: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Events:"))
        .collect();
    assert_eq!(
        events.first().copied(),
        Some("Events:"),
        "no Events section with events:\n{out}"
    );
    let section: String = events[1..]
        .iter()
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.trim_start().starts_with("----"))
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    let table = Table::parse(&section);
    assert_eq!(
        table.header,
        ["Type", "Reason", "Age", "From", "Message"],
        "{out}"
    );
    assert_eq!(table.rows.len(), 2, "only web's two events:\n{out}");
    assert!(
        table.has_row(&[
            "Normal",
            "ScalingReplicaSet",
            "{age}",
            "deployment-controller",
            "Scaled up replica set web-abc to 3"
        ]),
        "the core/v1 event is missing:\n{out}"
    );
    assert!(
        table.has_row(&[
            "Normal",
            "RolloutStarted",
            "{age}",
            "example.com/rollout-controller",
            "Rolling out revision 2"
        ]),
        "the events.k8s.io/v1 event is missing:\n{out}"
    );

    // A Deployment without events says so.
    s.create_yaml("quiet.yaml", &deployment("quiet", 1, "nginx:1.25"));
    let out = s.kubectl_ok(&["describe", "deploy", "quiet"]);
    assert!(
        out.lines().any(|l| words(l) == ["Events:", "<none>"]),
        "{out}"
    );

    // describe node lists the node's pods (a field selector on spec.nodeName and
    // status.phase!=...), and not the others.
    s.create_yaml(
        "node.yaml",
        "\
apiVersion: v1
kind: Node
metadata:
  name: node-1
---
apiVersion: v1
kind: Pod
metadata:
  name: on-node
spec:
  nodeName: node-1
  containers:
  - name: app
    image: nginx:1.25
---
apiVersion: v1
kind: Pod
metadata:
  name: elsewhere
spec:
  nodeName: node-2
  containers:
  - name: app
    image: nginx:1.25
",
    );
    let out = s.kubectl_ok(&["describe", "node", "node-1"]);
    assert!(
        out.lines()
            .any(|l| words(l) == ["Non-terminated", "Pods:", "(1", "in", "total)"]),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| words(l).starts_with(&["default".to_owned(), "on-node".to_owned()])),
        "{out}"
    );
    assert!(!out.contains("elsewhere"), "{out}");

    // events.k8s.io/v1 validates new events strictly (core/v1 keeps the legacy rules).
    let mut f = Findings::default();
    let strict = format!(
        "\
apiVersion: events.k8s.io/v1
kind: Event
metadata:
  name: web.strict
regarding:
  apiVersion: apps/v1
  kind: Deployment
  name: web
  namespace: default
  uid: {web}
reason: Checked
note: checked
type: Normal
action: Check
reportingController: example.com/checker
reportingInstance: checker-0
eventTime: '2024-01-01T00:00:00.000000Z'
"
    );
    for (name, broken, message) in [
        (
            "no-event-time",
            strict.replace("eventTime: '2024-01-01T00:00:00.000000Z'\n", ""),
            "eventTime: Required value",
        ),
        (
            "bad-type",
            strict.replace("type: Normal", "type: Weird"),
            "type: Invalid value: \"\": has invalid value: Weird",
        ),
        (
            "no-action",
            strict.replace("action: Check\n", ""),
            "action: Required value",
        ),
        (
            "no-reporting-controller",
            strict.replace("reportingController: example.com/checker\n", ""),
            "reportingController: Required value",
        ),
    ] {
        let file = s.write_file(&format!("{name}.yaml"), &broken.replace("web.strict", name));
        let out = s.kubectl(&["create", "-f", path_str(&file)]);
        f.check(
            !out.success()
                && out
                    .stderr
                    .contains(&format!("The Event \"{name}\" is invalid"))
                && out.stderr.contains(message),
            || format!("want a 422 saying `{message}`:\n{out}"),
        );
    }
    f.finish();
}

/// `kubectl wait` for a condition, a JSONPath value and a deletion.
fn wait_for_conditions_jsonpath_and_delete(s: &Server) {
    s.create_yaml("web.yaml", &deployment("web", 3, "nginx:1.25"));

    // Not yet: kubectl's own timeout ends the wait with its message.
    let err = s.kubectl_err(&[
        "wait",
        "--for=condition=Available",
        "deploy/web",
        "--timeout=1s",
    ]);
    assert!(
        err.contains("timed out waiting for the condition on deployments/web"),
        "{err}"
    );

    let waiting = s.spawn_kubectl(&[
        "wait",
        "--for=condition=Available",
        "deploy/web",
        "--timeout=30s",
    ]);
    patch_status(
        s,
        "deploy",
        "web",
        json!({"conditions": [{
            "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
            "message": "Deployment has minimum availability.",
            "lastUpdateTime": "2024-01-01T00:00:00Z",
            "lastTransitionTime": "2024-01-01T00:00:00Z"
        }]}),
    );
    let done = waiting.wait(WAIT + Duration::from_secs(10));
    assert!(done.success(), "{done}");
    assert_eq!(done.stdout.trim(), "deployment.apps/web condition met");

    let waiting = s.spawn_kubectl(&[
        "wait",
        "--for=jsonpath={.status.readyReplicas}=2",
        "deploy/web",
        "--timeout=30s",
    ]);
    patch_status(
        s,
        "deploy",
        "web",
        json!({"replicas": 3, "readyReplicas": 1}),
    );
    patch_status(
        s,
        "deploy",
        "web",
        json!({"replicas": 3, "readyReplicas": 2}),
    );
    let done = waiting.wait(WAIT + Duration::from_secs(10));
    assert!(done.success(), "{done}");
    assert_eq!(done.stdout.trim(), "deployment.apps/web condition met");

    let waiting = s.spawn_kubectl(&["wait", "--for=create", "cm/x", "--timeout=30s"]);
    s.create_yaml("x.yaml", &configmap("x", &[("k", "v")]));
    let done = waiting.wait(WAIT + Duration::from_secs(10));
    assert!(done.success(), "{done}");
    assert_eq!(done.stdout.trim(), "configmap/x condition met");

    let waiting = s.spawn_kubectl(&["wait", "--for=delete", "cm/x", "--timeout=30s"]);
    s.kubectl_ok(&["delete", "cm", "x", "--wait=false"]);
    let done = waiting.wait(WAIT + Duration::from_secs(10));
    assert!(done.success(), "{done}");
    // kubectl reports "condition met" when it saw the object go; when the delete won the race
    // with kubectl's first GET, it succeeds silently (nothing left to wait for).
    let out = done.stdout.trim();
    assert!(
        out.is_empty() || out == "configmap/x condition met",
        "{done}"
    );
}

/// `kubectl rollout status` follows the status written through /status; `rollout restart` and
/// `set image` change the template and bump the generation.
fn rollout_status_restart_and_set_image(s: &Server) {
    s.create_yaml("web.yaml", &deployment("web", 3, "nginx:1.25"));
    let mut status = s.spawn_kubectl(&["rollout", "status", "deploy/web", "--timeout=30s"]);
    assert_eq!(
        status.next_stdout_line(WAIT),
        "Waiting for deployment spec update to be observed..."
    );
    patch_status(
        s,
        "deploy",
        "web",
        json!({"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
               "readyReplicas": 0, "availableReplicas": 0}),
    );
    assert_eq!(
        status.next_stdout_line(WAIT),
        "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated..."
    );
    patch_status(
        s,
        "deploy",
        "web",
        json!({"replicas": 3, "updatedReplicas": 3, "readyReplicas": 2,
               "availableReplicas": 2}),
    );
    assert_eq!(
        status.next_stdout_line(WAIT),
        "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available..."
    );
    patch_status(
        s,
        "deploy",
        "web",
        json!({"readyReplicas": 3, "availableReplicas": 3}),
    );
    assert_eq!(
        status.next_stdout_line(WAIT),
        "deployment \"web\" successfully rolled out"
    );
    let done = status.wait(WAIT);
    assert!(done.success(), "{done}");
    let out = s.kubectl_ok(&["rollout", "status", "deploy/web", "--timeout=30s"]);
    assert_eq!(out.trim(), "deployment \"web\" successfully rolled out");

    let out = s.kubectl_ok(&["rollout", "restart", "deploy/web"]);
    assert_eq!(out.trim(), "deployment.apps/web restarted");
    let web = s.get_json(&["get", "deploy", "web"]);
    let restarted = at(
        &web,
        "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
    );
    assert!(
        restarted.as_str().is_some_and(|t| t.len() >= 20),
        "restartedAt is a timestamp: {web:#}"
    );
    assert_eq!(web["metadata"]["generation"], 2, "{web:#}");
    // The controller has not observed generation 2 yet.
    let out = s.kubectl_ok(&["rollout", "status", "deploy/web", "--watch=false"]);
    assert_eq!(
        out.trim(),
        "Waiting for deployment spec update to be observed..."
    );

    let out = s.kubectl_ok(&["set", "image", "deploy/web", "app=nginx:1.27"]);
    assert_eq!(out.trim(), "deployment.apps/web image updated");
    let web = s.get_json(&["get", "deploy", "web"]);
    assert_eq!(
        web["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27",
        "{web:#}"
    );
    assert_eq!(web["metadata"]["generation"], 3, "{web:#}");
    assert_eq!(
        at(
            &web,
            "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt"
        ),
        restarted,
        "set image keeps the restart annotation"
    );

    let out = s.kubectl_ok(&["rollout", "pause", "deploy/web"]);
    assert_eq!(out.trim(), "deployment.apps/web paused");
    assert_eq!(jsonpath(s, &["deploy", "web"], "{.spec.paused}"), "true");
    let out = s.kubectl_ok(&["rollout", "resume", "deploy/web"]);
    assert_eq!(out.trim(), "deployment.apps/web resumed");
    assert_eq!(jsonpath(s, &["deploy", "web"], "{.spec.paused}"), "");

    // StatefulSets and DaemonSets: their status viewers need kube's default RollingUpdate
    // update strategy.
    s.create_yaml(
        "sts.yaml",
        &deployment("db", 2, "postgres:16")
            .replace("kind: Deployment", "kind: StatefulSet")
            .replace("spec:\n  replicas", "spec:\n  serviceName: db\n  replicas"),
    );
    s.create_yaml(
        "ds.yaml",
        &deployment("agent", 1, "fluentd:1.16")
            .replace("kind: Deployment", "kind: DaemonSet")
            .replace("  replicas: 1\n", ""),
    );
    let out = s.kubectl_ok(&["rollout", "status", "sts/db", "--watch=false"]);
    assert_eq!(
        out.trim(),
        "Waiting for statefulset spec update to be observed..."
    );
    patch_status(
        s,
        "sts",
        "db",
        json!({"observedGeneration": 1, "replicas": 2, "readyReplicas": 1,
               "currentReplicas": 2, "updatedReplicas": 2, "availableReplicas": 1}),
    );
    let out = s.kubectl_ok(&["rollout", "status", "sts/db", "--watch=false"]);
    assert_eq!(out.trim(), "Waiting for 1 pods to be ready...");
    let status = s.spawn_kubectl(&["rollout", "status", "sts/db", "--timeout=30s"]);
    patch_status(
        s,
        "sts",
        "db",
        json!({"readyReplicas": 2, "availableReplicas": 2}),
    );
    let done = status.wait(WAIT + Duration::from_secs(10));
    assert!(done.success(), "{done}");
    assert_eq!(
        done.stdout.lines().last(),
        Some("partitioned roll out complete: 2 new pods have been updated..."),
        "{done}"
    );

    let out = s.kubectl_ok(&["rollout", "status", "ds/agent", "--watch=false"]);
    assert_eq!(
        out.trim(),
        "Waiting for daemon set spec update to be observed..."
    );
    patch_status(
        s,
        "ds",
        "agent",
        json!({"observedGeneration": 1, "desiredNumberScheduled": 2,
               "currentNumberScheduled": 2, "numberReady": 2, "updatedNumberScheduled": 2,
               "numberAvailable": 1, "numberMisscheduled": 0}),
    );
    let out = s.kubectl_ok(&["rollout", "status", "ds/agent", "--watch=false"]);
    assert_eq!(
        out.trim(),
        "Waiting for daemon set \"agent\" rollout to finish: 1 of 2 updated pods are available..."
    );
    patch_status(s, "ds", "agent", json!({"numberAvailable": 2}));
    let out = s.kubectl_ok(&["rollout", "status", "ds/agent", "--timeout=30s"]);
    assert_eq!(out.trim(), "daemon set \"agent\" successfully rolled out");
}

/// `kubectl edit` with a scripted editor patches what the editor changed.
fn edit_with_a_scripted_editor(s: &Server) {
    s.create_yaml("web.yaml", &deployment("web", 3, "nginx:1.25"));
    let out = kubectl_env(
        s,
        &[("KUBE_EDITOR", "sed -i 's/replicas: 3/replicas: 4/'")],
        &["edit", "deploy", "web"],
    );
    assert!(out.success(), "{out}");
    assert_eq!(out.stdout.trim(), "deployment.apps/web edited", "{out}");
    let web = s.get_json(&["get", "deploy", "web", "--show-managed-fields"]);
    assert_eq!(web["spec"]["replicas"], 4, "{web:#}");
    assert_eq!(web["metadata"]["generation"], 2, "{web:#}");
    assert!(
        owns(&web, "kubectl-edit", "/f:spec/f:replicas"),
        "kubectl-edit does not own spec.replicas: {:#}",
        web["metadata"]["managedFields"]
    );

    // An editor that changes nothing cancels the edit.
    let out = kubectl_env(s, &[("KUBE_EDITOR", "true")], &["edit", "deploy", "web"]);
    assert!(out.success(), "{out}");
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("Edit cancelled, no changes made."),
        "{out}"
    );
    assert_eq!(
        jsonpath(s, &["deploy", "web"], "{.metadata.generation}"),
        "2"
    );

    // An edit the server rejects changes nothing; kubectl keeps a copy with the errors.
    let out = kubectl_env(
        s,
        &[("KUBE_EDITOR", "sed -i 's/replicas: 4/replicas: -1/'")],
        &["edit", "deploy", "web"],
    );
    assert!(!out.success(), "{out}");
    assert_eq!(jsonpath(s, &["deploy", "web"], "{.spec.replicas}"), "4");
    assert!(
        out.stderr
            .contains("error: Edit cancelled, no valid changes were saved."),
        "{out}"
    );
    let copy = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("A copy of your changes has been stored to "))
        .map(|p| p.trim_matches('"').to_owned())
        .unwrap_or_else(|| panic!("no copy of the changes:\n{out}"));
    let copy = std::fs::read_to_string(&copy).unwrap_or_else(|e| panic!("{copy}: {e}"));
    assert!(
        copy.contains("spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        "the copy does not carry kube's error:\n{copy}"
    );
}

/// `kubectl get all` lists the resources in the `all` category, each table with its columns.
fn get_all_lists_the_all_category(s: &Server) {
    s.create_yaml(
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
    );
    let manifests = [
        deployment("web", 1, "nginx:1.25"),
        deployment("web-abc", 1, "nginx:1.25").replace("kind: Deployment", "kind: ReplicaSet"),
        deployment("db", 1, "postgres:16")
            .replace("kind: Deployment", "kind: StatefulSet")
            .replace("spec:\n  replicas", "spec:\n  serviceName: db\n  replicas"),
        deployment("agent", 1, "fluentd:1.16")
            .replace("kind: Deployment", "kind: DaemonSet")
            .replace("  replicas: 1\n", ""),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-abc-1\nspec:\n  containers:\n  - name: app\n    image: nginx:1.25\n".to_owned(),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  clusterIP: None\n  selector:\n    app: web\n  ports:\n  - port: 80\n".to_owned(),
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: pi\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: pi\n        image: perl:5.34\n".to_owned(),
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: '@hourly'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: job\n            image: busybox:1.36\n".to_owned(),
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n  maxReplicas: 3\n".to_owned(),
        configmap("not-in-all", &[("k", "v")]),
    ];
    let path = s.write_file("shop.yaml", &manifests.join("---\n"));
    s.kubectl_ok(&["create", "-f", path_str(&path), "-n", "shop"]);

    let mut names: Vec<String> = s
        .kubectl_ok(&["get", "all", "-n", "shop", "-o", "name"])
        .lines()
        .map(str::to_owned)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cronjob.batch/nightly",
            "daemonset.apps/agent",
            "deployment.apps/web",
            "horizontalpodautoscaler.autoscaling/web",
            "job.batch/pi",
            "pod/web-abc-1",
            "replicaset.apps/web-abc",
            "service/web",
            "statefulset.apps/db",
        ]
    );

    // The human output: one table per resource, names prefixed with the resource.
    let out = s.kubectl_ok(&["get", "all", "-n", "shop"]);
    let tables: Vec<Table> = out
        .split("\n\n")
        .filter(|t| !t.trim().is_empty())
        .map(Table::parse)
        .collect();
    let header_of = |prefix: &str| -> Option<Vec<String>> {
        tables
            .iter()
            .find(|t| t.rows.iter().any(|r| r[0].starts_with(prefix)))
            .map(|t| t.header.clone())
    };
    let expected: [(&str, &[&str]); 6] = [
        ("pod/", &["NAME", "READY", "STATUS", "RESTARTS", "AGE"]),
        (
            "service/",
            &[
                "NAME",
                "TYPE",
                "CLUSTER-IP",
                "EXTERNAL-IP",
                "PORT(S)",
                "AGE",
            ],
        ),
        (
            "deployment.apps/",
            &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
        ),
        (
            "replicaset.apps/",
            &["NAME", "DESIRED", "CURRENT", "READY", "AGE"],
        ),
        ("statefulset.apps/", &["NAME", "READY", "AGE"]),
        (
            "job.batch/",
            &["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"],
        ),
    ];
    for (prefix, header) in expected {
        assert_eq!(
            header_of(prefix),
            Some(header.iter().map(|h| h.to_string()).collect()),
            "the {prefix} table in:\n{out}"
        );
    }
    assert!(!out.contains("not-in-all"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// Scenarios: deletion, CRDs, dry runs, managedFields, metadata-only reads

/// Cascading deletion by ownerReferences: Background, Orphan and Foreground.
fn garbage_collection(s: &Server) {
    // Orphan: the dependent stays, without its reference to the owner.
    s.create_yaml("owner2.yaml", &configmap("owner2", &[("k", "v")]));
    let owner2 = uid(s, &["cm", "owner2"]);
    s.create_yaml(
        "dep-c.yaml",
        &dependent("dep-c", "orphan", "owner2", &owner2, true, false),
    );
    let out = s.kubectl_ok(&["delete", "cm", "owner2", "--cascade=orphan"]);
    assert!(out.starts_with("configmap \"owner2\" deleted"), "{out}");
    s.assert_not_found(&["cm", "owner2"]);
    let dep = s.get_json(&["get", "cm", "dep-c"]);
    assert!(
        dep["metadata"].get("ownerReferences").is_none(),
        "the orphan finalizer removes the reference before the owner goes: {dep:#}"
    );

    // Background: the owner goes at once, its dependents after it.
    s.create_yaml("owner.yaml", &configmap("owner", &[("k", "v")]));
    let owner = uid(s, &["cm", "owner"]);
    let deps = [
        dependent("dep-a", "background", "owner", &owner, false, false),
        dependent("dep-b", "background", "owner", &owner, true, false),
    ];
    s.create_yaml("deps.yaml", &deps.join("---\n"));
    assert_eq!(
        s.names(&["cm", "-l", "gc=background"]),
        ["configmap/dep-a", "configmap/dep-b"]
    );
    let out = s.kubectl_ok(&["delete", "cm", "owner"]);
    assert!(out.starts_with("configmap \"owner\" deleted"), "{out}");
    eventually(WAIT, || {
        let left = s.names(&["cm", "-l", "gc=background"]);
        match left.is_empty() {
            true => Ok(()),
            false => Err(format!("dependents left: {left:?}")),
        }
    });
    // The orphaned dependent was not collected by that pass.
    assert_eq!(s.names(&["cm", "-l", "gc=orphan"]), ["configmap/dep-c"]);

    // Across kinds: a ReplicaSet controlled by a Deployment goes with it.
    s.create_yaml("web.yaml", &deployment("web", 1, "nginx:1.25"));
    let web = uid(s, &["deploy", "web"]);
    let rs = deployment("web-abc", 1, "nginx:1.25")
        .replace("kind: Deployment", "kind: ReplicaSet")
        .replace(
            "  labels:\n    app: web-abc\nspec:",
            &format!(
                "  labels:\n    app: web-abc\n  ownerReferences:\n  - apiVersion: apps/v1\n    \
                 kind: Deployment\n    name: web\n    uid: {web}\n    controller: true\n    \
                 blockOwnerDeletion: true\nspec:"
            ),
        );
    s.create_yaml("rs.yaml", &rs);
    let out = s.kubectl_ok(&["delete", "deploy", "web"]);
    assert!(out.starts_with("deployment.apps \"web\" deleted"), "{out}");
    eventually(WAIT, || {
        let out = s.kubectl(&["get", "rs", "web-abc"]);
        match !out.success() && out.stderr.contains("NotFound") {
            true => Ok(()),
            false => Err(out.to_string()),
        }
    });

    // Foreground: the owner waits, marked, until its blocking dependents are gone.
    s.create_yaml("owner3.yaml", &configmap("owner3", &[("k", "v")]));
    let owner3 = uid(s, &["cm", "owner3"]);
    let deps = [
        dependent("dep-d", "foreground", "owner3", &owner3, true, false),
        dependent("dep-e", "foreground", "owner3", &owner3, true, true),
    ];
    s.create_yaml("deps3.yaml", &deps.join("---\n"));
    let out = s.kubectl_ok(&[
        "delete",
        "cm",
        "owner3",
        "--cascade=foreground",
        "--wait=false",
    ]);
    assert!(out.starts_with("configmap \"owner3\" deleted"), "{out}");
    let held = s.get_json(&["get", "cm", "owner3"]);
    assert!(
        held["metadata"]["deletionTimestamp"].is_string(),
        "{held:#}"
    );
    assert!(
        held["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f == "foregroundDeletion")),
        "no foregroundDeletion finalizer: {held:#}"
    );
    eventually(WAIT, || {
        let d = s.kubectl(&["get", "cm", "dep-d"]);
        let e = s.get_json(&["get", "cm", "dep-e"]);
        match (d.success(), e["metadata"]["deletionTimestamp"].is_string()) {
            (false, true) => Ok(()),
            _ => Err(format!(
                "dep-d still there ({}) or dep-e not being deleted: {e:#}",
                d.success()
            )),
        }
    });
    let held = s.get_json(&["get", "cm", "owner3"]);
    assert!(
        held["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f == "foregroundDeletion")),
        "the owner must wait for dep-e: {held:#}"
    );
    s.kubectl_ok(&[
        "patch",
        "cm",
        "dep-e",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ]);
    eventually(WAIT, || {
        let left = s.names(&["cm", "-l", "gc=foreground"]);
        let owner = s.kubectl(&["get", "cm", "owner3"]);
        match (left.is_empty(), owner.success()) {
            (true, false) => Ok(()),
            _ => Err(format!(
                "left: {left:?}, owner3 present: {}",
                owner.success()
            )),
        }
    });
    assert_eq!(s.names(&["cm", "-l", "gc=orphan"]), ["configmap/dep-c"]);
}

/// A CRD's structural schema: invalid objects are 422s naming the field, unknown fields are
/// pruned (or kept where the schema says so) and defaults are applied.
fn crd_schema_validation_pruning_and_defaults(s: &Server) {
    create_crd(s, "gadgets.example.com", &gadget_crd());

    struct Case {
        name: &'static str,
        spec: &'static str,
        field: &'static str,
        message: &'static str,
    }
    let cases = [
        Case {
            name: "wrong-type",
            spec: "  size: big\n  mode: fast\n",
            field: "spec.size",
            message: "spec.size in body must be of type integer",
        },
        Case {
            name: "missing-required",
            spec: "  size: 1\n",
            field: "spec.mode",
            message: "spec.mode: Required value",
        },
        Case {
            name: "not-in-enum",
            spec: "  size: 1\n  mode: medium\n",
            field: "spec.mode",
            message: "spec.mode: Unsupported value: \"medium\": supported values: \"fast\", \"slow\"",
        },
        Case {
            name: "pattern",
            spec: "  size: 1\n  mode: fast\n  code: ABC\n",
            field: "spec.code",
            message: "spec.code in body should match '^[a-z]+-[0-9]+$'",
        },
        Case {
            name: "below-minimum",
            spec: "  size: 0\n  mode: fast\n",
            field: "spec.size",
            message: "spec.size in body should be greater than or equal to 1",
        },
        Case {
            name: "above-maximum",
            spec: "  size: 11\n  mode: fast\n",
            field: "spec.size",
            message: "spec.size in body should be less than or equal to 10",
        },
    ];
    let mut f = Findings::default();
    for case in &cases {
        let file = s.write_file(
            &format!("{}.yaml", case.name),
            &gadget("v1", case.name, case.spec),
        );
        let out = s.kubectl(&["create", "-f", path_str(&file)]);
        f.check(
            !out.success()
                && out.stderr.contains(&format!(
                    "The Gadget \"{}\" is invalid: {}",
                    case.name, case.field
                ))
                && out.stderr.contains(case.message),
            || {
                format!(
                    "case {}: want a 422 saying `{}`:\n{out}",
                    case.name, case.message
                )
            },
        );
        let exists = s.kubectl(&["get", "gadget", case.name]).success();
        f.check(!exists, || {
            format!("case {}: the invalid object was stored", case.name)
        });

        // The same through the API: 422 Invalid with a cause naming the field.
        let body: Value =
            serde_saphyr::from_str(&gadget("v1", case.name, case.spec)).expect("test YAML");
        let resp = s.http(
            "POST",
            "/apis/example.com/v1/namespaces/default/gadgets",
            Some("application/json"),
            body.to_string().as_bytes(),
        );
        let status = serde_json::from_slice::<Value>(&resp.body).unwrap_or_default();
        let names_field = status["details"]["causes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["field"] == case.field));
        f.check(
            resp.status == 422 && status["reason"] == "Invalid" && names_field,
            || {
                format!(
                    "case {}: want 422 Invalid naming {}: {resp}",
                    case.name, case.field
                )
            },
        );
    }
    f.finish();

    // Defaults are applied; a field under x-kubernetes-preserve-unknown-fields is kept.
    let file = s.write_file(
        "g1.yaml",
        &gadget(
            "v1",
            "g1",
            "  size: 2\n  mode: fast\n  code: ab-12\n  extra:\n    anything:\n      deep: 1\n",
        ),
    );
    let out = s.kubectl_ok(&["create", "-f", path_str(&file)]);
    assert_eq!(out.trim(), "gadget.example.com/g1 created");
    let g1 = s.get_json(&["get", "gadget", "g1"]);
    assert_eq!(
        g1["spec"],
        json!({"size": 2, "mode": "fast", "code": "ab-12", "color": "blue",
               "extra": {"anything": {"deep": 1}}}),
        "{g1:#}"
    );

    // Unknown fields: rejected under kubectl's default (Strict) validation ...
    let spec = "  size: 3\n  mode: slow\n  bogus: 1\n";
    let file = s.write_file(
        "g2.yaml",
        &format!("{}bogusTop: x\n", gadget("v1", "g2", spec)),
    );
    let err = s.kubectl_err(&["create", "-f", path_str(&file)]);
    assert!(err.contains("BadRequest"), "{err}");
    assert!(err.contains("unknown field \"spec.bogus\""), "{err}");
    s.assert_not_found(&["gadget", "g2"]);
    // ... and pruned without validation.
    let out = s.kubectl_ok(&["create", "--validate=false", "-f", path_str(&file)]);
    assert_eq!(out.trim(), "gadget.example.com/g2 created");
    let g2 = s.get_json(&["get", "gadget", "g2"]);
    assert_eq!(
        g2["spec"],
        json!({"size": 3, "mode": "slow", "color": "blue"}),
        "{g2:#}"
    );
    assert!(g2.get("bogusTop").is_none(), "not pruned: {g2:#}");

    // Updates are validated too.
    let err = s.kubectl_err(&[
        "patch",
        "gadget",
        "g1",
        "--type=merge",
        "-p",
        r#"{"spec":{"mode":"warp"}}"#,
    ]);
    assert!(
        err.contains("spec.mode: Unsupported value: \"warp\""),
        "{err}"
    );
    assert_eq!(jsonpath(s, &["gadget", "g1"], "{.spec.mode}"), "fast");
}

/// Objects of a CRD with two served versions are readable in either, the apiVersion rewritten.
fn crd_versions_are_converted(s: &Server) {
    create_crd(s, "gadgets.example.com", &gadget_crd());
    let out = s.create_yaml(
        "beta.yaml",
        &gadget("v1beta1", "from-beta", "  size: 1\n  mode: fast\n"),
    );
    assert_eq!(out.trim(), "gadget.example.com/from-beta created");
    s.create_yaml(
        "v1.yaml",
        &gadget("v1", "from-v1", "  size: 2\n  mode: slow\n"),
    );

    for (resource, api_version) in [
        ("gadgets.v1.example.com", "example.com/v1"),
        ("gadgets.v1beta1.example.com", "example.com/v1beta1"),
    ] {
        for name in ["from-beta", "from-v1"] {
            let obj = s.get_json(&["get", resource, name]);
            assert_eq!(obj["apiVersion"], api_version, "{resource}/{name}: {obj:#}");
            assert_eq!(obj["kind"], "Gadget", "{obj:#}");
            assert_eq!(obj["spec"]["color"], "blue", "{obj:#}");
        }
        let list = s.get_json(&["get", resource]);
        let items = list["items"].as_array().expect("items");
        assert_eq!(items.len(), 2, "{list:#}");
        assert!(
            items.iter().all(|i| i["apiVersion"] == api_version),
            "{resource}: {list:#}"
        );
    }
    // The preferred (and storage) version is v1.
    assert_eq!(
        s.get_json(&["get", "gadget", "from-beta"])["apiVersion"],
        "example.com/v1"
    );
    let raw: Value = serde_json::from_str(&s.kubectl_ok(&[
        "get",
        "--raw",
        "/apis/example.com/v1beta1/namespaces/default/gadgets/from-v1",
    ]))
    .expect("JSON");
    assert_eq!(raw["apiVersion"], "example.com/v1beta1", "{raw:#}");

    // An update through the other version keeps the object whole.
    s.kubectl_ok(&[
        "patch",
        "gadgets.v1beta1.example.com",
        "from-v1",
        "--type=merge",
        "-p",
        r#"{"spec":{"size":5}}"#,
    ]);
    let obj = s.get_json(&["get", "gadgets.v1.example.com", "from-v1"]);
    assert_eq!(
        obj["spec"],
        json!({"size": 5, "mode": "slow", "color": "blue"}),
        "{obj:#}"
    );
}

/// `--dry-run=server` answers as the real request would and stores nothing.
fn server_side_dry_run(s: &Server) {
    let file = s.write_file("dry.yaml", &configmap("dry", &[("k", "v1")]));
    let out = s.kubectl_ok(&[
        "create",
        "-f",
        path_str(&file),
        "--dry-run=server",
        "-o",
        "yaml",
    ]);
    let obj: Value = serde_saphyr::from_str(&out).unwrap_or_else(|e| panic!("{e}:\n{out}"));
    assert_eq!(obj["kind"], "ConfigMap", "{out}");
    assert_eq!(obj["metadata"]["name"], "dry", "{out}");
    assert_eq!(obj["metadata"]["namespace"], "default", "{out}");
    assert_eq!(obj["data"], json!({"k": "v1"}), "{out}");
    assert!(obj["metadata"]["uid"].is_string(), "{out}");
    assert!(obj["metadata"]["creationTimestamp"].is_string(), "{out}");
    s.assert_not_found(&["cm", "dry"]);
    let out = s.kubectl_ok(&["create", "-f", path_str(&file), "--dry-run=server"]);
    assert_eq!(out.trim(), "configmap/dry created (server dry run)");
    s.assert_not_found(&["cm", "dry"]);

    let out = s.kubectl_ok(&[
        "apply",
        "--server-side",
        "-f",
        path_str(&file),
        "--dry-run=server",
    ]);
    assert_eq!(
        out.trim(),
        "configmap/dry serverside-applied (server dry run)"
    );
    s.assert_not_found(&["cm", "dry"]);
    let out = s.kubectl_ok(&["apply", "-f", path_str(&file), "--dry-run=server"]);
    assert_eq!(out.trim(), "configmap/dry created (server dry run)");
    s.assert_not_found(&["cm", "dry"]);

    // Against a stored object: nothing changes, not even the resourceVersion.
    s.kubectl_ok(&["create", "-f", path_str(&file)]);
    let before = s.get_json(&["get", "cm", "dry"]);
    let v2 = s.write_file("dry-v2.yaml", &configmap("dry", &[("k", "v2")]));
    let out = s.kubectl_ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        path_str(&v2),
        "--dry-run=server",
        "-o",
        "jsonpath={.data.k}",
    ]);
    assert_eq!(out, "v2", "the answer shows the applied object");
    // kubectl's patch prints no "(server dry run)" suffix; its request log shows the dry run.
    let out = s.kubectl(&[
        "patch",
        "cm",
        "dry",
        "--type=merge",
        "-p",
        r#"{"data":{"k":"v3"}}"#,
        "--dry-run=server",
        "-v=6",
    ]);
    assert!(out.success(), "{out}");
    assert_eq!(out.stdout.trim(), "configmap/dry patched", "{out}");
    assert!(
        out.stderr.contains("verb=\"PATCH\"") && out.stderr.contains("dryRun=All"),
        "{out}"
    );
    let out = s.kubectl_ok(&[
        "patch",
        "cm",
        "dry",
        "--type=merge",
        "-p",
        r#"{"data":{"k":"v3"}}"#,
        "--dry-run=server",
        "-o",
        "jsonpath={.data.k}",
    ]);
    assert_eq!(out, "v3", "the answer shows the patched object");
    let out = s.kubectl_ok(&["delete", "cm", "dry", "--dry-run=server"]);
    assert_eq!(out.trim(), "configmap \"dry\" deleted (server dry run)");
    let after = s.get_json(&["get", "cm", "dry"]);
    assert_eq!(after, before, "a dry run changed the stored object");

    // generateName is filled in, and still nothing is stored.
    let generated = s.write_file(
        "generated.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: gen-\ndata:\n  k: v\n",
    );
    let name = s.kubectl_ok(&[
        "create",
        "-f",
        path_str(&generated),
        "--dry-run=server",
        "-o",
        "jsonpath={.metadata.name}",
    ]);
    assert!(
        name.starts_with("gen-") && name.len() == "gen-".len() + 5,
        "generated name {name:?}"
    );
    let stored = s.names(&["cm"]);
    assert!(
        !stored.iter().any(|n| n.starts_with("configmap/gen-")),
        "{stored:?}"
    );

    // A dry run fails where the real request would.
    let negative = s.write_file(
        "negative.yaml",
        &deployment("negative", 1, "nginx:1.25").replace("replicas: 1", "replicas: -1"),
    );
    let cases: [(&str, Vec<&str>, &str); 3] = [
        (
            "create of an existing name",
            vec!["create", "-f", path_str(&file), "--dry-run=server"],
            "configmaps \"dry\" already exists",
        ),
        (
            "delete of a missing object",
            vec!["delete", "cm", "missing", "--dry-run=server"],
            "Error from server (NotFound): configmaps \"missing\" not found",
        ),
        (
            "create of an invalid object",
            vec!["create", "-f", path_str(&negative), "--dry-run=server"],
            "The Deployment \"negative\" is invalid: spec.replicas: Invalid value: -1: \
             must be greater than or equal to 0",
        ),
    ];
    let mut f = Findings::default();
    for (name, args, message) in cases {
        let out = s.kubectl(&args);
        f.check(!out.success() && out.stderr.contains(message), || {
            format!("{name}: want `{message}`:\n{out}")
        });
    }
    let negative_stored = s.kubectl(&["get", "deploy", "negative"]).success();
    f.check(!negative_stored, || {
        "a dry run stored deploy/negative".into()
    });
    f.finish();
}

/// managedFields record each writer: client-side apply, server-side apply (which takes over the
/// client-side applier's fields) and edit.
fn managed_fields_across_apply_and_edit(s: &Server) {
    let get = || -> Value {
        let out = s.kubectl_ok(&["get", "cm", "cfg", "-o", "yaml", "--show-managed-fields"]);
        serde_saphyr::from_str(&out).unwrap_or_else(|e| panic!("bad YAML ({e}):\n{out}"))
    };
    let pair = |m: &str, op: &str| (m.to_owned(), op.to_owned());

    s.apply_yaml("cfg.yaml", &configmap("cfg", &[("color", "red")]));
    let cm = get();
    assert_eq!(
        managers(&cm),
        [pair("kubectl-client-side-apply", "Update")],
        "{cm:#}"
    );
    assert!(
        owns(&cm, "kubectl-client-side-apply", "/f:data/f:color"),
        "{cm:#}"
    );
    // Without the flag kubectl hides them.
    let plain = s.kubectl_ok(&["get", "cm", "cfg", "-o", "yaml"]);
    assert!(!plain.contains("managedFields"), "{plain}");

    let ssa = s.write_file(
        "cfg-ssa.yaml",
        &configmap("cfg", &[("color", "red"), ("size", "big")]),
    );
    let out = s.kubectl_ok(&["apply", "--server-side", "-f", path_str(&ssa)]);
    assert_eq!(out.trim(), "configmap/cfg serverside-applied");
    let cm = get();
    let after_ssa = managers(&cm);
    assert!(after_ssa.contains(&pair("kubectl", "Apply")), "{cm:#}");
    assert!(
        !after_ssa
            .iter()
            .any(|(m, _)| m == "kubectl-client-side-apply"),
        "kubectl moves the client-side applier's fields to its own manager: {cm:#}"
    );
    assert!(owns(&cm, "kubectl", "/f:data/f:color"), "{cm:#}");
    assert!(owns(&cm, "kubectl", "/f:data/f:size"), "{cm:#}");

    let out = kubectl_env(
        s,
        &[("KUBE_EDITOR", "sed -i 's/size: big/size: small/'")],
        &["edit", "cm", "cfg"],
    );
    assert!(out.success(), "{out}");
    assert_eq!(out.stdout.trim(), "configmap/cfg edited", "{out}");
    let cm = get();
    assert_eq!(
        cm["data"],
        json!({"color": "red", "size": "small"}),
        "{cm:#}"
    );
    let after_edit = managers(&cm);
    assert!(after_edit.contains(&pair("kubectl", "Apply")), "{cm:#}");
    assert!(
        after_edit.contains(&pair("kubectl-edit", "Update")),
        "{cm:#}"
    );
    assert!(owns(&cm, "kubectl-edit", "/f:data/f:size"), "{cm:#}");
    assert!(
        !owns(&cm, "kubectl", "/f:data/f:size"),
        "an update takes the field from the applier: {cm:#}"
    );
    assert!(owns(&cm, "kubectl", "/f:data/f:color"), "{cm:#}");

    s.kubectl_ok(&["label", "cm", "cfg", "team=red"]);
    let cm = get();
    assert!(
        managers(&cm).contains(&pair("kubectl-label", "Update")),
        "{cm:#}"
    );
    assert!(
        owns(&cm, "kubectl-label", "/f:metadata/f:labels/f:team"),
        "{cm:#}"
    );
    for entry in cm["metadata"]["managedFields"].as_array().expect("entries") {
        assert_eq!(entry["apiVersion"], "v1", "{entry:#}");
        assert_eq!(entry["fieldsType"], "FieldsV1", "{entry:#}");
        assert!(
            entry["time"].as_str().is_some_and(is_timestamp),
            "{entry:#}"
        );
    }

    // A write through /status is recorded with its subresource.
    s.create_yaml("web.yaml", &deployment("web", 1, "nginx:1.25"));
    patch_status(
        s,
        "deploy",
        "web",
        json!({"replicas": 1, "readyReplicas": 1}),
    );
    let web = s.get_json(&["get", "deploy", "web", "--show-managed-fields"]);
    let status_entry = web["metadata"]["managedFields"]
        .as_array()
        .and_then(|entries| entries.iter().find(|e| e["manager"] == "kubectl-patch"))
        .unwrap_or_else(|| panic!("no kubectl-patch entry: {web:#}"));
    assert_eq!(status_entry["operation"], "Update", "{web:#}");
    assert_eq!(status_entry["subresource"], "status", "{web:#}");
    assert_eq!(status_entry["apiVersion"], "apps/v1", "{web:#}");
    assert!(
        status_entry["fieldsV1"]
            .pointer("/f:status/f:readyReplicas")
            .is_some(),
        "{web:#}"
    );
}

/// Metadata-only reads (`as=PartialObjectMetadataList` / `as=PartialObjectMetadata`), as
/// controllers' metadata informers and the garbage collector make them.
fn partial_object_metadata(s: &Server) {
    s.create_yaml("a.yaml", &configmap("a", &[("secret", "do not send")]));
    s.create_yaml("b.yaml", &configmap("b", &[("k", "v")]));
    s.create_yaml("web.yaml", &deployment("web", 1, "nginx:1.25"));
    s.kubectl_ok(&["label", "cm", "a", "team=red"]);

    const LIST: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
    for accept in [LIST.to_owned(), format!("{LIST},application/json")] {
        let resp = get_with_accept(s.port, "/api/v1/namespaces/default/configmaps", &accept);
        assert_eq!(resp.status, 200, "{resp}");
        assert!(
            resp.content_type
                .as_deref()
                .is_some_and(|ct| ct.contains("as=PartialObjectMetadataList")),
            "{resp}"
        );
        let list = resp.json();
        assert_eq!(list["kind"], "PartialObjectMetadataList", "{list:#}");
        assert_eq!(list["apiVersion"], "meta.k8s.io/v1", "{list:#}");
        assert!(
            list["metadata"]["resourceVersion"]
                .as_str()
                .is_some_and(|rv| !rv.is_empty()),
            "{list:#}"
        );
        let items = list["items"].as_array().expect("items");
        let mut names: Vec<&str> = items
            .iter()
            .filter_map(|i| i["metadata"]["name"].as_str())
            .collect();
        names.sort();
        assert_eq!(names, ["a", "b"], "{list:#}");
        for item in items {
            assert_eq!(item["kind"], "PartialObjectMetadata", "{item:#}");
            assert_eq!(item["apiVersion"], "meta.k8s.io/v1", "{item:#}");
            assert!(item.get("data").is_none(), "more than metadata: {item:#}");
            assert!(item["metadata"]["uid"].is_string(), "{item:#}");
        }
    }

    let resp = get_with_accept(
        s.port,
        "/api/v1/namespaces/default/configmaps/a",
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
    );
    assert_eq!(resp.status, 200, "{resp}");
    let obj = resp.json();
    assert_eq!(obj["kind"], "PartialObjectMetadata", "{obj:#}");
    assert_eq!(obj["apiVersion"], "meta.k8s.io/v1", "{obj:#}");
    assert_eq!(obj["metadata"]["name"], "a", "{obj:#}");
    assert_eq!(obj["metadata"]["labels"], json!({"team": "red"}), "{obj:#}");
    assert!(obj.get("data").is_none(), "{obj:#}");

    // A metadata-only watch (what metadata informers run); the server ends it after
    // timeoutSeconds.
    let resp = get_with_accept(
        s.port,
        "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&timeoutSeconds=1",
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1",
    );
    assert_eq!(resp.status, 200, "{resp}");
    let events: Vec<Value> = serde_json::Deserializer::from_slice(&resp.body)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("bad watch stream ({e}): {resp}"));
    let mut names: Vec<&str> = events
        .iter()
        .filter_map(|e| e["object"]["metadata"]["name"].as_str())
        .collect();
    names.sort();
    assert_eq!(names, ["a", "b"], "{resp}");
    for event in &events {
        assert_eq!(event["type"], "ADDED", "{event:#}");
        assert_eq!(
            event["object"]["kind"], "PartialObjectMetadata",
            "{event:#}"
        );
        assert!(event["object"].get("data").is_none(), "{event:#}");
    }

    let resp = get_with_accept(s.port, "/apis/apps/v1/namespaces/default/deployments", LIST);
    assert_eq!(resp.status, 200, "{resp}");
    let list = resp.json();
    assert_eq!(list["kind"], "PartialObjectMetadataList", "{list:#}");
    assert_eq!(list["items"][0]["metadata"]["name"], "web", "{list:#}");
    assert!(list["items"][0].get("spec").is_none(), "{list:#}");
}

// ---------------------------------------------------------------------------------------------
// Scenarios: imperative create (protobuf request bodies)

/// `kubectl create deployment|job|cronjob` POST protobuf; the objects are what kubectl built.
fn imperative_create_workloads(s: &Server) {
    let out = s.kubectl_ok(&[
        "create",
        "deployment",
        "d2",
        "--image=nginx:1.25",
        "--replicas=2",
    ]);
    assert_eq!(out.trim(), "deployment.apps/d2 created");
    let d2 = s.get_json(&["get", "deploy", "d2"]);
    assert_eq!(d2["spec"]["replicas"], 2, "{d2:#}");
    assert_eq!(d2["metadata"]["labels"], json!({"app": "d2"}), "{d2:#}");
    assert_eq!(
        d2["spec"]["selector"],
        json!({"matchLabels": {"app": "d2"}}),
        "{d2:#}"
    );
    assert_eq!(
        d2["spec"]["template"]["metadata"]["labels"],
        json!({"app": "d2"}),
        "{d2:#}"
    );
    let container = &d2["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["name"], "nginx", "{d2:#}");
    assert_eq!(container["image"], "nginx:1.25", "{d2:#}");
    assert_eq!(d2["metadata"]["generation"], 1, "{d2:#}");
    let mut f = Findings::default();
    f.table(
        s,
        &["get", "deploy", "d2"],
        &["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
        &[&["d2", "0/2", "0", "0", "{age}"]],
    );
    f.finish();

    let out = s.kubectl_ok(&[
        "create",
        "job",
        "j2",
        "--image=busybox:1.36",
        "--",
        "echo",
        "hi",
    ]);
    assert_eq!(out.trim(), "job.batch/j2 created");
    let j2 = s.get_json(&["get", "job", "j2"]);
    let container = &j2["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["name"], "j2", "{j2:#}");
    assert_eq!(container["image"], "busybox:1.36", "{j2:#}");
    assert_eq!(container["command"], json!(["echo", "hi"]), "{j2:#}");
    assert_eq!(
        j2["spec"]["template"]["spec"]["restartPolicy"], "Never",
        "{j2:#}"
    );

    let out = s.kubectl_ok(&[
        "create",
        "cronjob",
        "cj2",
        "--image=busybox:1.36",
        "--schedule=@hourly",
        "--",
        "date",
    ]);
    assert_eq!(out.trim(), "cronjob.batch/cj2 created");
    let cj2 = s.get_json(&["get", "cronjob", "cj2"]);
    assert_eq!(cj2["spec"]["schedule"], "@hourly", "{cj2:#}");
    assert_eq!(
        cj2["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"],
        json!(["date"]),
        "{cj2:#}"
    );

    // A server-side dry run of an imperative create stores nothing.
    let out = s.kubectl_ok(&[
        "create",
        "deployment",
        "d3",
        "--image=nginx:1.25",
        "--dry-run=server",
    ]);
    assert_eq!(out.trim(), "deployment.apps/d3 created (server dry run)");
    s.assert_not_found(&["deploy", "d3"]);
}

/// `kubectl create configmap|secret|namespace|service|serviceaccount` POST protobuf too.
fn imperative_create_config_and_services(s: &Server) {
    let out = s.kubectl_ok(&[
        "create",
        "configmap",
        "c2",
        "--from-literal=a=1",
        "--from-literal=b=two",
    ]);
    assert_eq!(out.trim(), "configmap/c2 created");
    assert_eq!(
        s.get_json(&["get", "cm", "c2"])["data"],
        json!({"a": "1", "b": "two"})
    );

    let out = s.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "s2",
        "--from-literal=password=hunter2",
    ]);
    assert_eq!(out.trim(), "secret/s2 created");
    let s2 = s.get_json(&["get", "secret", "s2"]);
    assert_eq!(s2["type"], "Opaque", "{s2:#}");
    assert_eq!(s2["data"], json!({"password": "aHVudGVyMg=="}), "{s2:#}");

    let out = s.kubectl_ok(&["create", "namespace", "ns2"]);
    assert_eq!(out.trim(), "namespace/ns2 created");
    assert_eq!(jsonpath(s, &["ns", "ns2"], "{.status.phase}"), "Active");

    let out = s.kubectl_ok(&["create", "service", "clusterip", "svc2", "--tcp=80:8080"]);
    assert_eq!(out.trim(), "service/svc2 created");
    let svc = s.get_json(&["get", "svc", "svc2"]);
    assert_eq!(svc["spec"]["type"], "ClusterIP", "{svc:#}");
    assert_eq!(svc["spec"]["selector"], json!({"app": "svc2"}), "{svc:#}");
    assert_eq!(
        svc["spec"]["ports"],
        json!([{"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}]),
        "{svc:#}"
    );

    let out = s.kubectl_ok(&["create", "serviceaccount", "sa2", "-n", "ns2"]);
    assert_eq!(out.trim(), "serviceaccount/sa2 created");
    assert_eq!(s.names(&["sa", "sa2", "-n", "ns2"]), ["serviceaccount/sa2"]);

    let out = s.kubectl_ok(&[
        "create",
        "configmap",
        "c3",
        "--from-literal=k=v",
        "--dry-run=server",
    ]);
    assert_eq!(out.trim(), "configmap/c3 created (server dry run)");
    s.assert_not_found(&["cm", "c3"]);
}
