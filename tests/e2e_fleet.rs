//! End to end over a whole fleet: the real `flotilla up` (API server, scheduler,
//! controller-manager and simulated members in one process) and the real kubectl against the
//! federation and against each member. These are the member-cluster issue's "must show"
//! scenarios: a weighted Deployment really running in two members, a per-cluster override, a
//! duplicated ConfigMap, scaling, fleet-wide status, drift restored and reported, conflicts,
//! deletion, unjoin, and Ctrl-C / resume.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::fleet::{Fleet, Member};
use support::{at, eventually, table_rows};

/// How long the fleet gets to react to one change.
const SETTLE: Duration = Duration::from_secs(60);

const NGINX: &str = include_str!("../docs/examples/nginx.yaml");
const REGISTRY_OVERRIDE: &str = include_str!("../docs/examples/registry-override.yaml");
const SETTINGS: &str = include_str!("../docs/examples/settings.yaml");

/// The member's Deployment `name` as JSON, or an error saying it is not there yet.
fn member_deployment(member: &Member<'_>, name: &str) -> Result<Value, String> {
    let out = member.kubectl(&["get", "deployment", name, "-o", "json"]);
    if !out.success() {
        return Err(format!("[{}] {out}", member.name));
    }
    serde_json::from_str(&out.stdout).map_err(|e| e.to_string())
}

fn wait_member_replicas(member: &Member<'_>, name: &str, replicas: i64, ready: bool) {
    eventually(SETTLE, || {
        let d = member_deployment(member, name)?;
        let field = if ready {
            "/status/readyReplicas"
        } else {
            "/spec/replicas"
        };
        match d.pointer(field).and_then(Value::as_i64) {
            Some(n) if n == replicas => Ok(()),
            other => Err(format!(
                "{} in {}: {field} is {other:?}, want {replicas}",
                name, member.name
            )),
        }
    });
}

fn image_in(member: &Member<'_>, name: &str) -> Result<String, String> {
    let d = member_deployment(member, name)?;
    at(&d, "/spec/template/spec/containers/0/image")
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "no image".to_owned())
}

/// The READY column of `kubectl get deployment NAME` on the federation.
fn federation_ready(fleet: &Fleet, name: &str) -> String {
    let out = fleet.kubectl_ok(&["get", "deployment", name]);
    let rows = table_rows(&out);
    rows.get(1)
        .and_then(|r| r.get(1))
        .cloned()
        .unwrap_or_default()
}

fn metrics_url(fleet: &Fleet) -> String {
    let output = fleet.output_so_far();
    output
        .lines()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("metrics")
                .map(|rest| rest.trim().to_owned())
                .filter(|u| u.starts_with("http://"))
        })
        .unwrap_or_else(|| panic!("the banner names no metrics address:\n{output}"))
}

fn http_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(host).expect("connect to the metrics server");
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send a request");
    let mut body = String::new();
    stream.read_to_string(&mut body).expect("read the response");
    body
}

#[test]
fn a_weighted_workload_runs_in_the_members_and_reports_back() {
    let Some(mut fleet) = Fleet::up_with(&[
        "--members",
        "member1,member2,member3",
        "--metrics-listen",
        "127.0.0.1:0",
    ]) else {
        return;
    };
    let (m1, m2, m3) = (
        fleet.member("member1"),
        fleet.member("member2"),
        fleet.member("member3"),
    );

    // The members joined and are Ready, each a real Kubernetes API with nodes.
    fleet.kubectl_ok(&[
        "wait",
        "--for=condition=Ready",
        "cluster/member1",
        "cluster/member2",
        "cluster/member3",
        "--timeout=60s",
    ]);
    let clusters = fleet.get_json(&["clusters"]);
    let items = at(&clusters, "/items").as_array().expect("a list");
    assert_eq!(items.len(), 3, "{clusters}");
    for c in items {
        assert!(
            at(c, "/status/nodeSummary/totalNum").as_i64() >= Some(1),
            "no node summary: {c}"
        );
        assert!(
            at(c, "/status/resourceSummary/allocatable/cpu").is_string(),
            "no resource summary: {c}"
        );
    }
    assert!(!m1.kubectl_ok(&["get", "nodes", "-o", "name"]).is_empty());

    // A namespace created in the federation appears in every member.
    fleet.kubectl_ok(&["create", "namespace", "team-a"]);
    for m in [&m1, &m2, &m3] {
        eventually(SETTLE, || {
            let out = m.kubectl(&["get", "namespace", "team-a"]);
            out.success()
                .then_some(())
                .ok_or_else(|| format!("[{}] {out}", m.name))
        });
    }

    // The placement sample: 9 replicas, static weights 2:1 → 6 in member1, 3 in member2.
    fleet.apply_yaml("nginx.yaml", NGINX);
    wait_member_replicas(&m1, "nginx", 6, true);
    wait_member_replicas(&m2, "nginx", 3, true);
    assert!(!m3.kubectl(&["get", "deployment", "nginx"]).success());
    let pods = m1.kubectl_ok(&["get", "pods", "-l", "app=nginx", "-o", "name"]);
    assert_eq!(pods.lines().count(), 6, "{pods}");
    // Fleet-wide status on the federation.
    eventually(SETTLE, || {
        match federation_ready(&fleet, "nginx").as_str() {
            "9/9" => Ok(()),
            other => Err(format!("federation READY is {other:?}")),
        }
    });
    let rb = fleet.get_json(&["resourcebinding", "nginx-deployment"]);
    let conditions = at(&rb, "/status/conditions").to_string();
    assert!(conditions.contains("FullyApplied"), "{rb}");
    assert_eq!(
        at(&rb, "/status/aggregatedStatus")
            .as_array()
            .map(|a| a.len()),
        Some(2),
        "{rb}"
    );

    // A ClusterOverridePolicy rewrites the registry in member2 only.
    fleet.apply_yaml("registry-override.yaml", REGISTRY_OVERRIDE);
    eventually(SETTLE, || match image_in(&m2, "nginx")?.as_str() {
        "mirror.eu.example.com/nginx:1.27" => Ok(()),
        other => Err(format!("member2 image is {other}")),
    });
    assert_eq!(image_in(&m1, "nginx").unwrap(), "nginx:1.27");

    // A Duplicated ConfigMap reaches every member.
    fleet.apply_yaml("settings.yaml", SETTINGS);
    for m in [&m1, &m2, &m3] {
        eventually(SETTLE, || {
            let out = m.kubectl(&["get", "configmap", "app-settings", "-o", "json"]);
            if !out.success() {
                return Err(format!("[{}] {out}", m.name));
            }
            let cm: Value = serde_json::from_str(&out.stdout).map_err(|e| e.to_string())?;
            (at(&cm, "/data/log-level") == "info")
                .then_some(())
                .ok_or_else(|| format!("{cm}"))
        });
    }

    // Scaling the template rescales the members by the same weights.
    fleet.kubectl_ok(&["scale", "deployment", "nginx", "--replicas=12"]);
    wait_member_replicas(&m1, "nginx", 8, true);
    wait_member_replicas(&m2, "nginx", 4, true);
    eventually(SETTLE, || {
        match federation_ready(&fleet, "nginx").as_str() {
            "12/12" => Ok(()),
            other => Err(format!("federation READY is {other:?}")),
        }
    });

    // Drift: someone changes the image in member1. Flotilla restores it and says so.
    m1.kubectl_ok(&["set", "image", "deployment/nginx", "nginx=nginx:tampered"]);
    eventually(SETTLE, || match image_in(&m1, "nginx")?.as_str() {
        "nginx:1.27" => Ok(()),
        other => Err(format!("member1 image is still {other}")),
    });
    let work = eventually(SETTLE, || {
        let works = fleet.get_json(&["works", "-n", "karmada-es-member1"]);
        let items = at(&works, "/items").as_array().cloned().unwrap_or_default();
        items
            .into_iter()
            .find(|w| {
                at(w, "/status/conditions").as_array().is_some_and(|cs| {
                    cs.iter()
                        .any(|c| at(c, "/type") == "Drifted" && at(c, "/status") == "True")
                })
            })
            .ok_or_else(|| format!("no Work in karmada-es-member1 reports drift: {works}"))
    });
    let message = at(&work, "/status/conditions")
        .as_array()
        .and_then(|cs| cs.iter().find(|c| at(c, "/type") == "Drifted"))
        .map(|c| at(c, "/message").to_string())
        .unwrap_or_default();
    assert!(
        message.contains("nginx") && message.contains("member1"),
        "the drift message names the object and cluster: {message}"
    );
    eventually(SETTLE, || {
        let events = fleet.kubectl_ok(&[
            "get",
            "events",
            "-A",
            "--field-selector",
            "reason=DriftCorrected",
            "-o",
            "json",
        ]);
        events
            .contains("member1")
            .then_some(())
            .ok_or_else(|| format!("no DriftCorrected event names member1: {events}"))
    });
    let url = metrics_url(&fleet);
    let metrics = http_get(&url);
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("flotilla_drift_corrections_total{cluster=\"member1\"}")),
        "no drift counter for member1:\n{metrics}"
    );

    // A member object that Flotilla does not manage is left alone (conflict reported).
    m3.kubectl_ok(&[
        "create",
        "configmap",
        "local-only",
        "--from-literal=owner=member3",
    ]);
    fleet.apply_yaml(
        "local-only.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local-only\ndata:\n  owner: federation\n---\napiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata:\n  name: local-only\nspec:\n  resourceSelectors:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: local-only\n  placement:\n    clusterAffinity:\n      clusterNames: [member3]\n",
    );
    eventually(SETTLE, || {
        let works = fleet.get_json(&["works", "-n", "karmada-es-member3"]);
        let text = works.to_string();
        (text.contains("AppliedFailed") && text.contains("local-only"))
            .then_some(())
            .ok_or_else(|| format!("no failed Work for the conflicting ConfigMap: {works}"))
    });
    let cm = m3.get_json(&["configmap", "local-only"]);
    assert_eq!(
        at(&cm, "/data/owner"),
        "member3",
        "the member's object was overwritten"
    );

    // Deleting the template removes it from every member.
    fleet.kubectl_ok(&["delete", "deployment", "nginx"]);
    for m in [&m1, &m2] {
        eventually(SETTLE, || {
            let out = m.kubectl(&["get", "deployment", "nginx"]);
            (!out.success())
                .then_some(())
                .ok_or_else(|| format!("nginx still in {}", m.name))
        });
    }

    // Ctrl-C stops the fleet cleanly; `flotilla up` again resumes it.
    fleet.stop();
    fleet.start();
    fleet.kubectl_ok(&[
        "wait",
        "--for=condition=Ready",
        "cluster/member1",
        "cluster/member2",
        "cluster/member3",
        "--timeout=60s",
    ]);
    let m1 = fleet.member("member1");
    let cm = m1.get_json(&["configmap", "app-settings"]);
    assert_eq!(at(&cm, "/data/log-level"), "info");

    // Unjoining a member removes what Flotilla put there, then the Cluster.
    let kubeconfig = fleet.kubeconfig();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flotilla"))
        .args(["unjoin", "member3", "--kubeconfig"])
        .arg(&kubeconfig)
        .output()
        .expect("run flotilla unjoin");
    assert!(
        out.status.success(),
        "flotilla unjoin failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m3 = fleet.member("member3");
    assert!(!m3.kubectl(&["get", "configmap", "app-settings"]).success());
    // ... and only that: the member's own ConfigMap of the same name as a federation one stays.
    let cm = m3.get_json(&["configmap", "local-only"]);
    assert_eq!(
        at(&cm, "/data/owner"),
        "member3",
        "unjoin removed an unmanaged object"
    );
    assert!(!fleet.kubectl(&["get", "cluster", "member3"]).success());
}
