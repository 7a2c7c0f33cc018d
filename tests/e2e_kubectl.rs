//! End-to-end scenarios: the real `flotilla apiserver` binary driven by the real `kubectl`, each
//! scenario once on the embedded store (`embedded::*`) and once on etcd (`etcd::*`).
//!
//! The assertions are what kube-apiserver does: what kubectl prints and what is stored afterwards
//! (read back with `-o json`). Run with
//! `cargo test --test e2e_kubectl -- --test-threads=2`.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Server, at, configmap, eventually, table_rows};

/// Bound for anything the server should do promptly (a watch event, a waiting delete).
const WAIT: Duration = Duration::from_secs(30);

/// Each scenario becomes one test per backend.
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
        /// The scenarios on a real etcd.
        mod etcd {
            $(
                #[test]
                fn $name() {
                    crate::support::run(crate::support::Backend::Etcd, crate::$name);
                }
            )*
        }
    };
}

scenarios!(
    version_and_discovery,
    create_and_get,
    client_side_apply,
    server_side_apply_conflicts,
    server_side_apply_after_client_side_apply,
    watch_events,
    label_annotate_patch_delete,
    delete_waits_for_finalizers,
    explain,
    custom_resources,
    malformed_requests_are_rejected,
    field_validation,
    invalid_and_stale_writes_are_rejected,
    namespaces,
);

// ---------------------------------------------------------------------------------------------
// Manifests

const WEB: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels:
    app: web
data:
  key: value
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: nginx:1.25
";

/// The first version of the client-side-applied Deployment.
const APPLY_V1: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    tier: frontend
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: nginx:1.25
        ports:
        - containerPort: 80
";

/// The second version: new image, an env var, a sidecar listed first, label `tier` removed and
/// `track` added.
const APPLY_V2: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    track: stable
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: sidecar
        image: busybox:1.36
        command: [\"sleep\", \"infinity\"]
      - name: app
        image: nginx:1.27
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: production
";

fn deployment(name: &str, replicas: u32, image: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
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

const WIDGET_CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    listKind: WidgetList
    shortNames: [wd]
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
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        description: A Widget is a test resource.
        properties:
          spec:
            type: object
            description: What the widget should look like.
            properties:
              size:
                type: integer
                description: How many gizmos the widget has.
              color:
                type: string
                description: The colour of the widget.
          status:
            type: object
            properties:
              ready:
                type: boolean
";

fn widget(name: &str, size: &str, color: &str) -> String {
    format!(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\nspec:\n  size: {size}\n  color: {color}\n"
    )
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// Whitespace collapsed to single spaces, so wrapped text (explain) can be matched.
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn path_str(path: &std::path::Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn resource_version(obj: &Value) -> String {
    at(obj, "/metadata/resourceVersion")
        .as_str()
        .expect("resourceVersion is a string")
        .to_owned()
}

fn container_names(deploy: &Value) -> Vec<String> {
    at(deploy, "/spec/template/spec/containers")
        .as_array()
        .expect("containers is a list")
        .iter()
        .map(|c| c["name"].as_str().expect("container name").to_owned())
        .collect()
}

fn container<'a>(deploy: &'a Value, name: &str) -> &'a Value {
    at(deploy, "/spec/template/spec/containers")
        .as_array()
        .expect("containers is a list")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name} in {deploy:#}"))
}

fn managed_fields(obj: &Value) -> &Vec<Value> {
    at(obj, "/metadata/managedFields")
        .as_array()
        .expect("managedFields is a list")
}

/// The managedFields entry of `manager` with `operation`, if any.
fn manager_entry<'a>(obj: &'a Value, manager: &str, operation: &str) -> Option<&'a Value> {
    managed_fields(obj)
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == operation)
}

/// Whether any managedFields entry of `manager` owns the field at `fields_pointer` (a JSON
/// pointer into fieldsV1, e.g. `/f:data/f:color`).
fn owns(obj: &Value, manager: &str, fields_pointer: &str) -> bool {
    managed_fields(obj).iter().any(|e| {
        e["manager"] == manager
            && e.get("fieldsV1")
                .and_then(|f| f.pointer(fields_pointer))
                .is_some()
    })
}

/// Create the Widget CRD and wait (bounded) until it is Established, as a user would.
fn create_widget_crd(s: &Server) {
    let out = s.create_yaml("widgets-crd.yaml", WIDGET_CRD);
    assert_eq!(
        out.trim(),
        "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"
    );
    s.kubectl_ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=30s",
    ]);
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/// `kubectl version` and `kubectl api-resources` show a v1.33 server with the built-in kinds.
fn version_and_discovery(s: &Server) {
    let out = s.kubectl_ok(&["version"]);
    let server_line = out
        .lines()
        .find(|l| l.starts_with("Server Version:"))
        .unwrap_or_else(|| panic!("no server version in:\n{out}"));
    assert!(
        server_line.starts_with("Server Version: v1.33"),
        "{server_line}"
    );
    // The kubectl dispatcher picks the client matching the server's minor version.
    assert!(
        out.lines().any(|l| l.starts_with("Client Version: v1.33")),
        "the dispatcher did not run kubectl 1.33:\n{out}"
    );
    let version = s.get_json(&["version"]);
    assert_eq!(version["serverVersion"]["major"], "1", "{version:#}");
    assert_eq!(version["serverVersion"]["minor"], "33", "{version:#}");

    let out = s.kubectl_ok(&["api-resources"]);
    let rows: Vec<String> = table_rows(&out).iter().map(|r| r.join(" ")).collect();
    assert_eq!(
        rows.first().map(String::as_str),
        Some("NAME SHORTNAMES APIVERSION NAMESPACED KIND"),
        "{out}"
    );
    for expected in [
        "deployments deploy apps/v1 true Deployment",
        "configmaps cm v1 true ConfigMap",
        "namespaces ns v1 false Namespace",
        "customresourcedefinitions crd,crds apiextensions.k8s.io/v1 false CustomResourceDefinition",
        "leases coordination.k8s.io/v1 true Lease",
        "events ev v1 true Event",
        "events ev events.k8s.io/v1 true Event",
    ] {
        assert!(
            rows.iter().any(|r| r == expected),
            "api-resources lacks `{expected}`:\n{out}"
        );
    }

    let out = s.kubectl_ok(&["api-resources", "--api-group=apps", "-o", "name"]);
    assert!(
        out.lines().any(|l| l == "deployments.apps"),
        "api-resources --api-group=apps -o name:\n{out}"
    );
}

/// `create -f` with default (strict) validation, and the common `get` forms.
fn create_and_get(s: &Server) {
    let out = s.create_yaml("web.yaml", WEB);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "configmap/web-config created",
            "deployment.apps/web created"
        ]
    );

    let cm = s.get_json(&["get", "configmap", "web-config"]);
    assert_eq!(cm["apiVersion"], "v1");
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["metadata"]["name"], "web-config");
    assert_eq!(cm["metadata"]["namespace"], "default");
    assert_eq!(cm["metadata"]["labels"], json!({"app": "web"}));
    assert_eq!(cm["data"], json!({"key": "value"}));
    for field in ["uid", "resourceVersion", "creationTimestamp"] {
        assert!(
            cm["metadata"][field]
                .as_str()
                .is_some_and(|v| !v.is_empty()),
            "metadata.{field} missing: {cm:#}"
        );
    }

    let deploy = s.get_json(&["get", "deployment", "web"]);
    assert_eq!(deploy["apiVersion"], "apps/v1");
    assert_eq!(deploy["kind"], "Deployment");
    assert_eq!(deploy["spec"]["replicas"], 2);
    assert_eq!(deploy["metadata"]["generation"], 1);
    assert_eq!(container(&deploy, "app")["image"], "nginx:1.25");

    // -o yaml shows the same object as -o json.
    let yaml = s.kubectl_ok(&["get", "deployment", "web", "-o", "yaml"]);
    let from_yaml: Value =
        serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("bad YAML ({e}):\n{yaml}"));
    assert_eq!(from_yaml, deploy, "-o yaml and -o json differ");

    let out = s.kubectl_ok(&["get", "cm", "web-config", "-o", "jsonpath={.data.key}"]);
    assert_eq!(out, "value");

    // The default table for deployments.
    let out = s.kubectl_ok(&["get", "deploy", "web"]);
    let rows = table_rows(&out);
    assert_eq!(
        rows[0],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
        "{out}"
    );
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(rows[1][0], "web", "{out}");
    assert!(rows[1][1].ends_with("/2"), "READY column: {out}");

    // -A spans namespaces.
    let other = s.write_file(
        "other.yaml",
        &configmap("other-config", &[("key", "other")]),
    );
    s.kubectl_ok(&["create", "-f", path_str(&other), "-n", "kube-system"]);
    let out = s.kubectl_ok(&["get", "configmaps", "-A"]);
    let rows = table_rows(&out);
    assert_eq!(rows[0], ["NAMESPACE", "NAME", "DATA", "AGE"], "{out}");
    for (ns, name) in [("default", "web-config"), ("kube-system", "other-config")] {
        assert!(
            rows.iter()
                .any(|r| r.len() == 4 && r[0] == ns && r[1] == name && r[2] == "1"),
            "get -A lacks {ns}/{name}:\n{out}"
        );
    }

    // Label selectors.
    assert_eq!(
        s.names(&["configmaps", "-A", "-l", "app=web"]),
        ["configmap/web-config"]
    );
    assert_eq!(
        s.names(&["deployments", "-l", "app=web"]),
        ["deployment.apps/web"]
    );
    let out = s.kubectl(&["get", "deployments", "-l", "app=nope"]);
    assert!(out.success(), "{out}");
    assert!(
        out.stderr
            .contains("No resources found in default namespace."),
        "{out}"
    );

    // Creating the same objects again fails, and changes nothing.
    let err = s.kubectl_err(&["create", "-f", "web.yaml"]);
    assert!(err.contains("AlreadyExists"), "{err}");
    assert!(
        err.contains("configmaps \"web-config\" already exists"),
        "{err}"
    );
    assert!(
        err.contains("deployments.apps \"web\" already exists"),
        "{err}"
    );
    let again = s.get_json(&["get", "deployment", "web"]);
    assert_eq!(resource_version(&again), resource_version(&deploy));
}

/// `kubectl apply` (client-side) three times: create, a three-way strategic merge, unchanged.
fn client_side_apply(s: &Server) {
    let out = s.apply_yaml("web.yaml", APPLY_V1);
    assert_eq!(out.trim(), "deployment.apps/web created");
    let v1 = s.get_json(&["get", "deployment", "web"]);
    assert_eq!(v1["metadata"]["generation"], 1);
    let last: Value = serde_json::from_str(
        at(
            &v1,
            "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
        )
        .as_str()
        .expect("last-applied is a string"),
    )
    .expect("last-applied is JSON");
    assert_eq!(
        last["metadata"]["labels"],
        json!({"app": "web", "tier": "frontend"})
    );

    // A label nobody applied: the three-way merge must keep it.
    s.kubectl_ok(&["label", "deployment", "web", "team=blue"]);

    let out = s.apply_yaml("web.yaml", APPLY_V2);
    assert_eq!(out.trim(), "deployment.apps/web configured");
    let v2 = s.get_json(&["get", "deployment", "web"]);
    assert_eq!(
        v2["metadata"]["labels"],
        json!({"app": "web", "track": "stable", "team": "blue"}),
        "tier removed, track added, team kept"
    );
    assert_eq!(
        container_names(&v2),
        ["sidecar", "app"],
        "containers in the manifest's order"
    );
    let app = container(&v2, "app");
    assert_eq!(app["image"], "nginx:1.27");
    assert_eq!(app["env"], json!([{"name": "MODE", "value": "production"}]));
    assert_eq!(app["ports"][0]["containerPort"], 80);
    let sidecar = container(&v2, "sidecar");
    assert_eq!(sidecar["image"], "busybox:1.36");
    assert_eq!(sidecar["command"], json!(["sleep", "infinity"]));
    assert_eq!(v2["spec"]["replicas"], 2);
    assert_eq!(v2["metadata"]["generation"], 2);
    let last: Value = serde_json::from_str(
        at(
            &v2,
            "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
        )
        .as_str()
        .expect("last-applied is a string"),
    )
    .expect("last-applied is JSON");
    assert_eq!(
        last["metadata"]["labels"],
        json!({"app": "web", "track": "stable"})
    );
    assert_eq!(container_names(&last), ["sidecar", "app"]);
    assert_eq!(container(&last, "app")["image"], "nginx:1.27");

    let out = s.apply_yaml("web.yaml", APPLY_V2);
    assert_eq!(out.trim(), "deployment.apps/web unchanged");
    let v3 = s.get_json(&["get", "deployment", "web"]);
    assert_eq!(resource_version(&v3), resource_version(&v2));
    assert_eq!(v3["metadata"]["generation"], 2);
}

/// `kubectl apply --server-side` after client-side `kubectl apply`: the client-side manager's
/// field conflicts until forced, then kubectl migrates the ownership and re-applies.
fn server_side_apply_after_client_side_apply(s: &Server) {
    // A Deployment whose replicas the client-side apply manager owns.
    let out = s.apply_yaml("api-3.yaml", &deployment("api", 3, "nginx:1.25"));
    assert_eq!(out.trim(), "deployment.apps/api created");
    let five = s.write_file("api-5.yaml", &deployment("api", 5, "nginx:1.25"));

    let deploy_conflict = s.kubectl_err(&["apply", "--server-side", "-f", path_str(&five)]);
    assert!(
        deploy_conflict.contains("conflict with \"kubectl-client-side-apply\""),
        "{deploy_conflict}"
    );
    assert!(
        deploy_conflict.contains(".spec.replicas"),
        "{deploy_conflict}"
    );
    let api = s.get_json(&["get", "--show-managed-fields", "deployment", "api"]);
    assert_eq!(api["spec"]["replicas"], 3, "a conflict changes nothing");

    // Forced: kubectl applies, then moves the client-side-apply manager's fields to itself
    // (a JSON patch of managedFields) and applies again; all of it must succeed quietly.
    let forced = s.kubectl(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        path_str(&five),
    ]);
    assert!(forced.success(), "{forced}");
    assert_eq!(
        forced.stdout.trim(),
        "deployment.apps/api serverside-applied"
    );
    assert!(
        !forced.stderr.contains("failed"),
        "the forced apply reported a failure:\n{forced}"
    );
    let api = s.get_json(&["get", "--show-managed-fields", "deployment", "api"]);
    assert_eq!(api["spec"]["replicas"], 5);
    assert!(
        manager_entry(&api, "kubectl", "Apply").is_some(),
        "no kubectl Apply manager: {:#}",
        api["metadata"]["managedFields"]
    );
    assert!(
        owns(&api, "kubectl", "/f:spec/f:replicas"),
        "kubectl does not own spec.replicas: {:#}",
        api["metadata"]["managedFields"]
    );
    assert!(
        !owns(&api, "kubectl-client-side-apply", "/f:spec/f:replicas"),
        "the forced field still has its old manager: {:#}",
        api["metadata"]["managedFields"]
    );

    // Applying the same configuration again is a no-op that succeeds.
    let out = s.kubectl_ok(&["apply", "--server-side", "-f", path_str(&five)]);
    assert_eq!(out.trim(), "deployment.apps/api serverside-applied");
    let again = s.get_json(&["get", "deployment", "api"]);
    assert_eq!(again["spec"]["replicas"], 5);
    assert_eq!(container(&again, "app")["image"], "nginx:1.25");

    // The exact message kube-apiserver writes (an Update manager is named with its apiVersion).
    assert!(
        deploy_conflict.contains(
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
        ),
        "{deploy_conflict}"
    );
}

/// `kubectl apply --server-side` conflicts with a field another applier owns until forced.
fn server_side_apply_conflicts(s: &Server) {
    // A ConfigMap key owned by another server-side applier.
    let red = s.write_file(
        "settings-red.yaml",
        &configmap("settings", &[("color", "red")]),
    );
    let out = s.kubectl_ok(&[
        "apply",
        "--server-side",
        "--field-manager=team-a",
        "-f",
        path_str(&red),
    ]);
    assert_eq!(out.trim(), "configmap/settings serverside-applied");
    let cm = s.get_json(&["get", "--show-managed-fields", "cm", "settings"]);
    assert!(manager_entry(&cm, "team-a", "Apply").is_some(), "{cm:#}");
    assert!(owns(&cm, "team-a", "/f:data/f:color"), "{cm:#}");

    let blue = s.write_file(
        "settings-blue.yaml",
        &configmap("settings", &[("color", "blue")]),
    );
    let cm_conflict = s.kubectl_err(&["apply", "--server-side", "-f", path_str(&blue)]);
    assert!(
        cm_conflict.contains("conflict with \"team-a\""),
        "{cm_conflict}"
    );
    assert!(cm_conflict.contains(".data.color"), "{cm_conflict}");
    let cm = s.get_json(&["get", "--show-managed-fields", "cm", "settings"]);
    assert_eq!(cm["data"]["color"], "red", "a conflict changes nothing");

    let out = s.kubectl_ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        path_str(&blue),
    ]);
    assert_eq!(out.trim(), "configmap/settings serverside-applied");
    let cm = s.get_json(&["get", "--show-managed-fields", "cm", "settings"]);
    assert_eq!(cm["data"]["color"], "blue");
    assert!(owns(&cm, "kubectl", "/f:data/f:color"), "{cm:#}");
    assert!(
        !owns(&cm, "team-a", "/f:data/f:color"),
        "team-a still owns data.color after a forced apply: {cm:#}"
    );

    // The exact message kube-apiserver writes.
    assert!(
        cm_conflict.contains("Apply failed with 1 conflict: conflict with \"team-a\": .data.color"),
        "{cm_conflict}"
    );
}

/// `kubectl get -w --output-watch-events` sees a ConfigMap created, modified and deleted.
fn watch_events(s: &Server) {
    s.create_yaml("sentinel.yaml", &configmap("sentinel", &[("k", "v")]));
    let mut watch = s.watch_json(&[
        "get",
        "configmaps",
        "-w",
        "--output-watch-events",
        "-o",
        "json",
    ]);
    let named = |name: &'static str| move |e: &Value| e["object"]["metadata"]["name"] == name;

    // The initial list arrives as ADDED; after it the watch is established.
    let ev = watch.next_matching(WAIT, named("sentinel"));
    assert_eq!(ev["type"], "ADDED", "{ev:#}");

    s.create_yaml("w1.yaml", &configmap("w1", &[("v", "1")]));
    let ev = watch.next_matching(WAIT, named("w1"));
    assert_eq!(ev["type"], "ADDED", "{ev:#}");
    assert_eq!(ev["object"]["data"]["v"], "1", "{ev:#}");
    let added_rv = resource_version(&ev["object"]);

    s.kubectl_ok(&[
        "patch",
        "cm",
        "w1",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"v":"2"}}"#,
    ]);
    let ev = watch.next_matching(WAIT, named("w1"));
    assert_eq!(ev["type"], "MODIFIED", "{ev:#}");
    assert_eq!(ev["object"]["data"]["v"], "2", "{ev:#}");
    let modified_rv = resource_version(&ev["object"]);
    assert_ne!(modified_rv, added_rv);

    let out = s.kubectl_ok(&["delete", "cm", "w1"]);
    assert!(out.starts_with("configmap \"w1\" deleted"), "{out}");
    let ev = watch.next_matching(WAIT, named("w1"));
    assert_eq!(ev["type"], "DELETED", "{ev:#}");
    assert_eq!(
        ev["object"]["data"]["v"], "2",
        "DELETED carries the last state"
    );
    assert!(!resource_version(&ev["object"]).is_empty());
}

/// `label`, `annotate`, the three `patch` types and `delete`.
fn label_annotate_patch_delete(s: &Server) {
    s.create_yaml("c.yaml", &configmap("c", &[("k1", "v1")]));

    assert_eq!(
        s.kubectl_ok(&["label", "cm", "c", "env=prod"]).trim(),
        "configmap/c labeled"
    );
    assert_eq!(
        s.get_json(&["get", "cm", "c"])["metadata"]["labels"],
        json!({"env": "prod"})
    );
    s.kubectl_ok(&["label", "--overwrite", "cm", "c", "env=dev"]);
    assert_eq!(
        s.get_json(&["get", "cm", "c"])["metadata"]["labels"],
        json!({"env": "dev"})
    );
    assert_eq!(
        s.kubectl_ok(&["label", "cm", "c", "env-"]).trim(),
        "configmap/c unlabeled"
    );
    let c = s.get_json(&["get", "cm", "c"]);
    assert!(
        c["metadata"]["labels"].get("env").is_none(),
        "label env not removed: {c:#}"
    );

    assert_eq!(
        s.kubectl_ok(&["annotate", "cm", "c", "note=hello"]).trim(),
        "configmap/c annotated"
    );
    assert_eq!(
        s.get_json(&["get", "cm", "c"])["metadata"]["annotations"]["note"],
        "hello"
    );
    assert_eq!(
        s.kubectl_ok(&["annotate", "cm", "c", "note-"]).trim(),
        "configmap/c annotated"
    );
    let c = s.get_json(&["get", "cm", "c"]);
    assert!(
        c["metadata"]["annotations"].get("note").is_none(),
        "annotation note not removed: {c:#}"
    );

    // JSON patch.
    let out = s.kubectl_ok(&[
        "patch",
        "cm",
        "c",
        "--type",
        "json",
        "-p",
        r#"[{"op":"add","path":"/data/k2","value":"v2"}]"#,
    ]);
    assert_eq!(out.trim(), "configmap/c patched");
    let c = s.get_json(&["get", "cm", "c"]);
    assert_eq!(c["data"], json!({"k1": "v1", "k2": "v2"}));

    // A failing `test` op rejects the whole patch (422) and changes nothing.
    let err = s.kubectl_err(&[
        "patch",
        "cm",
        "c",
        "--type",
        "json",
        "-p",
        r#"[{"op":"test","path":"/data/k1","value":"wrong"},{"op":"remove","path":"/data/k1"}]"#,
    ]);
    assert!(
        err.to_lowercase().contains("invalid"),
        "expected 422 Invalid: {err}"
    );
    let after = s.get_json(&["get", "cm", "c"]);
    assert_eq!(after["data"], json!({"k1": "v1", "k2": "v2"}));
    assert_eq!(resource_version(&after), resource_version(&c));

    // JSON merge patch: null deletes.
    let out = s.kubectl_ok(&[
        "patch",
        "cm",
        "c",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"k1":null,"k3":"v3"}}"#,
    ]);
    assert_eq!(out.trim(), "configmap/c patched");
    assert_eq!(
        s.get_json(&["get", "cm", "c"])["data"],
        json!({"k2": "v2", "k3": "v3"})
    );

    // Strategic merge patch: containers merge by name.
    s.create_yaml("api.yaml", &deployment("api", 1, "nginx:1.25"));
    let out = s.kubectl_ok(&[
        "patch",
        "deployment",
        "api",
        "--type",
        "strategic",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}"#,
    ]);
    assert_eq!(out.trim(), "deployment.apps/api patched");
    let api = s.get_json(&["get", "deployment", "api"]);
    // kube-apiserver's merge puts list items new to the object before the existing ones when
    // the patch has no `$setElementOrder` (`mergeSortedSlice` in strategicpatch).
    assert_eq!(container_names(&api), ["sidecar", "app"]);
    assert_eq!(container(&api, "app")["image"], "nginx:1.25");
    assert_eq!(container(&api, "sidecar")["image"], "busybox:1.36");
    assert_eq!(api["metadata"]["generation"], 2);

    // ... and `$patch: delete` removes one by name.
    s.kubectl_ok(&[
        "patch",
        "deployment",
        "api",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}"#,
    ]);
    let api = s.get_json(&["get", "deployment", "api"]);
    assert_eq!(container_names(&api), ["app"]);

    let out = s.kubectl_ok(&["delete", "cm", "c"]);
    assert!(out.starts_with("configmap \"c\" deleted"), "{out}");
    s.assert_not_found(&["cm", "c"]);
    let out = s.kubectl_ok(&["delete", "deployment", "api"]);
    assert!(out.starts_with("deployment.apps \"api\" deleted"), "{out}");
    s.assert_not_found(&["deployment", "api"]);
}

/// A finalizer holds a deleted object until it is removed; a waiting `kubectl delete` then ends.
fn delete_waits_for_finalizers(s: &Server) {
    s.create_yaml(
        "held.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers:\n  - example.com/hold\ndata:\n  k: v\n",
    );
    let out = s.kubectl_ok(&["delete", "cm", "held", "--wait=false"]);
    assert!(out.starts_with("configmap \"held\" deleted"), "{out}");

    let held = s.get_json(&["get", "cm", "held"]);
    assert!(
        held["metadata"]["deletionTimestamp"].is_string(),
        "no deletionTimestamp: {held:#}"
    );
    assert_eq!(held["metadata"]["finalizers"], json!(["example.com/hold"]));

    let mut waiting = s.spawn_kubectl(&["delete", "cm", "held", "--timeout=30s"]);
    // kubectl prints "deleted" once its DELETE returned, then waits for the object to go.
    let line = waiting.next_stdout_line(WAIT);
    assert!(line.starts_with("configmap \"held\" deleted"), "{line}");
    assert!(
        s.get_json(&["get", "cm", "held"])["metadata"]["finalizers"] == json!(["example.com/hold"]),
        "the object must still be held"
    );

    let out = s.kubectl_ok(&[
        "patch",
        "cm",
        "held",
        "--type",
        "json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ]);
    assert_eq!(out.trim(), "configmap/held patched");
    let done = waiting.wait(WAIT + Duration::from_secs(15));
    assert!(done.success(), "the waiting delete failed:\n{done}");
    s.assert_not_found(&["cm", "held"]);
}

/// `kubectl explain` on a built-in field and on a CRD's fields.
fn explain(s: &Server) {
    let out = s.kubectl_ok(&["explain", "deployment.spec.replicas"]);
    let text = normalize(&out);
    assert!(text.contains("KIND: Deployment"), "{out}");
    assert!(text.contains("VERSION: v1"), "{out}");
    assert!(text.contains("FIELD: replicas <integer>"), "{out}");
    assert!(text.contains("Number of desired pods."), "{out}");

    create_widget_crd(s);
    let out = s.kubectl_ok(&["explain", "widgets"]);
    let text = normalize(&out);
    assert!(text.contains("KIND: Widget"), "{out}");
    assert!(text.contains("GROUP: example.com"), "{out}");
    assert!(text.contains("A Widget is a test resource."), "{out}");
    assert!(text.contains("spec <Object>"), "{out}");

    let out = s.kubectl_ok(&["explain", "widget.spec.size"]);
    let text = normalize(&out);
    assert!(text.contains("FIELD: size <integer>"), "{out}");
    assert!(text.contains("How many gizmos the widget has."), "{out}");
}

/// A CRD with a schema, printer columns and a status subresource, used with plain kubectl.
fn custom_resources(s: &Server) {
    create_widget_crd(s);

    let out = s.kubectl(&["get", "widgets"]);
    assert!(out.success(), "{out}");
    assert!(
        out.stderr
            .contains("No resources found in default namespace."),
        "{out}"
    );

    let out = s.create_yaml("w1.yaml", &widget("w1", "3", "blue"));
    assert_eq!(out.trim(), "widget.example.com/w1 created");

    let out = s.kubectl_ok(&["get", "widgets"]);
    let rows = table_rows(&out);
    assert_eq!(
        rows[0],
        ["NAME", "SIZE", "COLOR", "AGE"],
        "printer columns:\n{out}"
    );
    assert_eq!(rows.len(), 2, "{out}");
    assert_eq!(rows[1][..3], ["w1", "3", "blue"], "{out}");

    assert_eq!(s.names(&["wd"]), ["widget.example.com/w1"], "short name");
    let w1 = s.get_json(&["get", "widget", "w1"]);
    assert_eq!(w1["apiVersion"], "example.com/v1");
    assert_eq!(w1["kind"], "Widget");
    assert_eq!(w1["spec"], json!({"size": 3, "color": "blue"}));
    assert_eq!(w1["metadata"]["generation"], 1);
    let list = s.get_json(&["get", "widgets.example.com"]);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list:#}");
    assert_eq!(items[0]["metadata"]["name"], "w1");

    // Merge patch of the spec bumps the generation.
    let out = s.kubectl_ok(&[
        "patch",
        "widget",
        "w1",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"size":5}}"#,
    ]);
    assert_eq!(out.trim(), "widget.example.com/w1 patched");
    let w1 = s.get_json(&["get", "widget", "w1"]);
    assert_eq!(w1["spec"]["size"], 5);
    assert_eq!(w1["metadata"]["generation"], 2);

    // Strategic merge patch is not defined for custom resources: 415.
    let err = s.kubectl_err(&["patch", "widget", "w1", "-p", r#"{"spec":{"size":6}}"#]);
    // kubectl rewords the 415 UnsupportedMediaType it got.
    assert!(
        err.contains("application/strategic-merge-patch+json is not supported"),
        "{err}"
    );
    assert_eq!(s.get_json(&["get", "widget", "w1"])["spec"]["size"], 5);

    // The status subresource: status through /status, ignored through the main resource.
    s.kubectl_ok(&[
        "patch",
        "widget",
        "w1",
        "--subresource=status",
        "--type",
        "merge",
        "-p",
        r#"{"status":{"ready":true}}"#,
    ]);
    let w1 = s.get_json(&["get", "widget", "w1"]);
    assert_eq!(w1["status"], json!({"ready": true}));
    assert_eq!(
        w1["metadata"]["generation"], 2,
        "status does not bump generation"
    );
    s.kubectl_ok(&[
        "patch",
        "widget",
        "w1",
        "--type",
        "merge",
        "-p",
        r#"{"status":{"ready":false}}"#,
    ]);
    assert_eq!(
        s.get_json(&["get", "widget", "w1"])["status"],
        json!({"ready": true}),
        "the main resource ignores status"
    );

    // Client-side apply uses a JSON merge patch for custom resources.
    assert_eq!(
        s.apply_yaml("w2.yaml", &widget("w2", "1", "red")).trim(),
        "widget.example.com/w2 created"
    );
    assert_eq!(
        s.apply_yaml("w2.yaml", &widget("w2", "2", "red")).trim(),
        "widget.example.com/w2 configured"
    );
    assert_eq!(
        s.get_json(&["get", "widget", "w2"])["spec"],
        json!({"size": 2, "color": "red"})
    );

    // The schema is enforced: a string where an integer belongs is a 422 naming the field.
    let bad = s.write_file("bad.yaml", &widget("bad", "big", "red"));
    let err = s.kubectl_err(&["create", "-f", path_str(&bad)]);
    assert!(err.contains("is invalid"), "{err}");
    assert!(err.contains("spec.size"), "{err}");
    s.assert_not_found(&["widget", "bad"]);
    let resp = s.http(
        "POST",
        "/apis/example.com/v1/namespaces/default/widgets",
        Some("application/json"),
        br#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"bad"},"spec":{"size":"big"}}"#,
    );
    assert_eq!(resp.status, 422, "{resp}");
    let status = resp.json();
    assert_eq!(status["kind"], "Status", "{status:#}");
    assert_eq!(status["reason"], "Invalid", "{status:#}");
    let causes = status["details"]["causes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        causes.iter().any(|c| c["field"] == "spec.size"),
        "no cause naming spec.size: {status:#}"
    );
    s.assert_not_found(&["widget", "bad"]);

    let out = s.kubectl_ok(&["delete", "widget", "w1"]);
    assert!(
        out.starts_with("widget.example.com \"w1\" deleted"),
        "{out}"
    );
    s.assert_not_found(&["widget", "w1"]);
    assert_eq!(s.names(&["widgets"]), ["widget.example.com/w2"]);

    // Deleting the CRD removes its custom resources and the resource type.
    let out = s.kubectl_ok(&["delete", "crd", "widgets.example.com", "--timeout=60s"]);
    assert!(
        out.starts_with(
            "customresourcedefinition.apiextensions.k8s.io \"widgets.example.com\" deleted"
        ),
        "{out}"
    );
    s.assert_not_found(&["crd", "widgets.example.com"]);
    // Discovery drops the group (kube-apiserver updates discovery asynchronously).
    eventually(WAIT, || {
        let out = s.kubectl(&["api-resources", "--api-group=example.com", "-o", "name"]);
        match out.success() && out.stdout.trim().is_empty() {
            true => Ok(()),
            false => Err(out.to_string()),
        }
    });
    let err = s.kubectl_err(&["get", "widgets"]);
    assert!(
        err.contains("the server doesn't have a resource type \"widgets\""),
        "{err}"
    );
}

/// Where the raw-HTTP checks POST ConfigMaps.
const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

/// Malformed or oversized bodies and unknown content types get the right Status and store nothing.
fn malformed_requests_are_rejected(s: &Server) {
    let before = s.names(&["configmaps"]);
    let unchanged = |what: &str| {
        assert_eq!(s.names(&["configmaps"]), before, "{what} stored something");
    };

    // Malformed JSON: 400.
    let resp = s.http(
        "POST",
        CONFIGMAPS,
        Some("application/json"),
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"broken"},"#,
    );
    assert_eq!(resp.status, 400, "{resp}");
    let status = resp.json();
    assert_eq!(status["kind"], "Status", "{status:#}");
    assert_eq!(status["reason"], "BadRequest", "{status:#}");
    assert_eq!(status["code"], 400, "{status:#}");
    unchanged("malformed JSON");

    // Malformed YAML: kubectl refuses it.
    let bad = s.write_file(
        "bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  k: [unclosed\n",
    );
    let err = s.kubectl_err(&["create", "-f", path_str(&bad)]);
    assert!(err.contains("error parsing"), "{err}");
    unchanged("malformed YAML");

    // A body over 3 MiB: 413.
    let big = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big"},
        "data": {"blob": "x".repeat(3 * 1024 * 1024 + 1024)},
    });
    let resp = s.http(
        "POST",
        CONFIGMAPS,
        Some("application/json"),
        &serde_json::to_vec(&big).expect("serialize"),
    );
    assert_eq!(resp.status, 413, "{resp}");
    unchanged("a 3 MiB body");

    // A content type the server does not decode: 415.
    let resp = s.http(
        "POST",
        CONFIGMAPS,
        Some("text/plain"),
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"plain"}}"#,
    );
    assert_eq!(resp.status, 415, "{resp}");
    let status = resp.json();
    assert_eq!(status["kind"], "Status", "{status:#}");
    assert_eq!(status["reason"], "UnsupportedMediaType", "{status:#}");
    unchanged("a text/plain body");
}

/// Unknown fields: rejected under Strict (kubectl's default), a warning and dropped under Warn.
fn field_validation(s: &Server) {
    // An unknown field under the default strict validation: 400 naming it, nothing stored.
    let bogus = deployment("strict", 1, "nginx:1.25")
        .replace("  replicas: 1\n", "  replicas: 1\n  bogus: true\n");
    let bogus = s.write_file("bogus.yaml", &bogus);
    let err = s.kubectl_err(&["create", "-f", path_str(&bogus)]);
    assert!(err.contains("BadRequest"), "{err}");
    assert!(err.contains("unknown field \"spec.bogus\""), "{err}");
    s.assert_not_found(&["deployment", "strict"]);

    // ... under --validate=warn: a warning naming it, and the object stored without it.
    let out = s.kubectl(&["create", "--validate=warn", "-f", path_str(&bogus)]);
    assert!(out.success(), "{out}");
    assert!(
        out.stdout.contains("deployment.apps/strict created"),
        "{out}"
    );
    assert!(
        out.stderr.contains("Warning") && out.stderr.contains("spec.bogus"),
        "no warning naming spec.bogus:\n{out}"
    );
    let stored = s.get_json(&["get", "deployment", "strict"]);
    assert!(
        stored["spec"].get("bogus").is_none(),
        "fieldValidation=Warn must drop the unknown field, as Ignore does: {stored:#}"
    );
}

/// An invalid object is a 422 naming the field; a stale update is a 409; neither changes anything.
fn invalid_and_stale_writes_are_rejected(s: &Server) {
    let before = s.names(&["configmaps"]);
    let unchanged = |what: &str| {
        assert_eq!(s.names(&["configmaps"]), before, "{what} stored something");
    };

    // An invalid name: 422 naming metadata.name.
    let invalid = s.write_file("invalid.yaml", &configmap("Foo_Bar", &[("k", "v")]));
    let err = s.kubectl_err(&["create", "-f", path_str(&invalid)]);
    assert!(err.contains("is invalid"), "{err}");
    assert!(err.contains("metadata.name"), "{err}");
    let resp = s.http(
        "POST",
        CONFIGMAPS,
        Some("application/json"),
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Foo_Bar"}}"#,
    );
    assert_eq!(resp.status, 422, "{resp}");
    let status = resp.json();
    assert_eq!(status["reason"], "Invalid", "{status:#}");
    let causes = status["details"]["causes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        causes.iter().any(|c| c["field"] == "metadata.name"),
        "no cause naming metadata.name: {status:#}"
    );
    unchanged("an invalid name");

    // A replace with a stale resourceVersion: 409, the newer data kept.
    s.create_yaml("cfg.yaml", &configmap("cfg", &[("k", "v1")]));
    let mut stale = s.get_json(&["get", "cm", "cfg"]);
    s.kubectl_ok(&[
        "patch",
        "cm",
        "cfg",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"k":"v2"}}"#,
    ]);
    stale["data"]["k"] = json!("v3");
    let stale = s.write_file("stale.json", &stale.to_string());
    let err = s.kubectl_err(&["replace", "-f", path_str(&stale)]);
    assert!(err.contains("Conflict"), "{err}");
    assert!(err.contains("the object has been modified"), "{err}");
    assert_eq!(s.get_json(&["get", "cm", "cfg"])["data"]["k"], "v2");
}

/// Namespaces exist at start, gate creation, and take their content with them when deleted.
fn namespaces(s: &Server) {
    let all = s.names(&["namespaces"]);
    for ns in ["namespace/default", "namespace/kube-system"] {
        assert!(all.iter().any(|n| n == ns), "{ns} missing: {all:?}");
    }
    assert_eq!(
        s.get_json(&["get", "ns", "default"])["status"]["phase"],
        "Active"
    );

    let cm = s.write_file("cm.yaml", &configmap("settings", &[("k", "v")]));
    let err = s.kubectl_err(&["create", "-f", path_str(&cm), "-n", "missing"]);
    assert!(err.contains("NotFound"), "{err}");
    assert!(err.contains("namespaces \"missing\" not found"), "{err}");
    s.assert_not_found(&["ns", "missing"]);

    let ns = s.write_file(
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-x\n",
    );
    assert_eq!(
        s.kubectl_ok(&["create", "-f", path_str(&ns)]).trim(),
        "namespace/team-x created"
    );
    s.kubectl_ok(&["create", "-f", path_str(&cm), "-n", "team-x"]);
    let deploy = s.write_file("api.yaml", &deployment("api", 1, "nginx:1.25"));
    s.kubectl_ok(&["create", "-f", path_str(&deploy), "-n", "team-x"]);
    assert_eq!(
        s.names(&["cm,deploy", "-n", "team-x"]),
        ["configmap/settings", "deployment.apps/api"]
    );

    let out = s.kubectl_ok(&["delete", "namespace", "team-x", "--timeout=60s"]);
    assert!(out.starts_with("namespace \"team-x\" deleted"), "{out}");
    s.assert_not_found(&["ns", "team-x"]);
    let everywhere = s.get_json(&["get", "cm,deploy", "-A"]);
    let leftovers: Vec<&Value> = everywhere["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|o| o["metadata"]["namespace"] == "team-x")
        .collect();
    assert!(
        leftovers.is_empty(),
        "content of team-x left: {leftovers:#?}"
    );

    // A namespace of the same name starts empty.
    s.kubectl_ok(&["create", "-f", path_str(&ns)]);
    assert_eq!(
        s.names(&["cm,deploy", "-n", "team-x"]),
        Vec::<String>::new()
    );
}
